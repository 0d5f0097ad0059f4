import { z } from "zod";
import { AppError } from "../errors.js";
import { parseTimestamp } from "../time.js";
import { intParam } from "../validation.js";
import { decodeCursor, type Position } from "./cursor.js";

/**
 * How every route, and the CLI, spells the kinds of item a request is about:
 * plural, as the runbook's reanalysis does (`type=conversations|notes`). The
 * singular is accepted too, as an alias. Responses keep describing one item
 * by its own kind, in the singular (`{"type": "conversation", "id": …}`).
 */
export const ITEM_TYPES = {
  conversations: "conversation",
  notes: "note",
  conversation: "conversation",
  note: "note",
} as const;
export type ItemTypeName = keyof typeof ITEM_TYPES;

/** `type` of a filter: one kind, or both when absent. */
export const itemTypeQuery = z
  .enum(Object.keys(ITEM_TYPES) as [ItemTypeName, ...ItemTypeName[]])
  .optional()
  .describe("conversations or notes; both when absent (the singular conversation, note is accepted too)");

/** The kind a `type` value names (undefined: both). */
export function itemTypeOf(name: ItemTypeName | undefined): "conversation" | "note" | undefined {
  return name === undefined ? undefined : ITEM_TYPES[name];
}

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
