import { z } from "zod";
import { AppError } from "../errors.js";
import { parseTimestamp } from "../time.js";
import { intParam } from "../validation.js";
import { decodeCursor, type Position } from "./cursor.js";

/** Query of a list: a time range over last activity, a cursor and a page size. */
export const listQuerySchema = z.strictObject({
  updated_from: z
    .string()
    .optional()
    .describe("inclusive lower bound on last activity (ISO-8601 or epoch ms)"),
  updated_until: z
    .string()
    .optional()
    .describe("inclusive upper bound on last activity; a date alone means the end of that day"),
  cursor: z.string().optional().describe("next_cursor of the previous page"),
  limit: intParam(1, 1000).default(100),
});

export type ListQuery = z.infer<typeof listQuerySchema>;

export interface ListRange {
  from?: number;
  until?: number;
  after?: Position;
  limit: number;
}

export function toListRange(query: ListQuery): ListRange {
  const range: ListRange = {
    from: query.updated_from === undefined ? undefined : parseTimestamp(query.updated_from, "updated_from"),
    until:
      query.updated_until === undefined
        ? undefined
        : parseTimestamp(query.updated_until, "updated_until", { endOfDay: true }),
    after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
    limit: query.limit,
  };
  if (range.from !== undefined && range.until !== undefined && range.from > range.until) {
    throw new AppError("validation_failed", "updated_from is after updated_until");
  }
  return range;
}
