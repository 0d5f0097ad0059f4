import { AppError } from "../errors.js";
import { fitPage } from "../page-budget.js";
import { idSchema } from "../validation.js";

/**
 * Keyset pagination cursors: the (timestamp, id) of the last item of a page,
 * opaque to clients. Stable under concurrent writes, O(log n) per page.
 */
export interface Position {
  at: number;
  id: string;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString("base64url");
}

export function decodeCursor(cursor: string): Position {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && Number.isSafeInteger(value[0]) && idSchema.safeParse(value[1]).success) {
      return { at: value[0], id: value[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new AppError(
    "invalid_cursor",
    "cursor: not a cursor from a previous page; omit it to start at the first page",
  );
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/**
 * The rows of a page and the cursor to the next one, if `more` rows follow
 * them. `map` returns undefined for a row deleted since its key was read:
 * it is left out, and the cursor still moves past it.
 */
export function toPage<Row, T>(
  kept: Row[],
  more: boolean,
  position: (row: Row) => Position,
  map: (row: Row) => T | undefined,
): Page<T> {
  const last = kept[kept.length - 1];
  return {
    items: kept.map(map).filter((item): item is T => item !== undefined),
    next_cursor: more && last ? encodeCursor(position(last)) : null,
  };
}

/**
 * Of `limit + 1` rows fetched without their content (keys and sizes), the
 * ones the page holds (see page-budget.ts), and whether more follow.
 */
export function pageRows<Row extends { content_bytes: number }>(
  rows: Row[],
  limit: number,
): { kept: Row[]; more: boolean } {
  const candidates = rows.slice(0, limit);
  const kept = candidates.slice(0, fitPage(candidates.map((r) => r.content_bytes)));
  return { kept, more: rows.length > kept.length };
}
