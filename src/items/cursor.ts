import { AppError } from "../errors.js";
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

/** Turns `limit + 1` fetched rows into a page and the cursor to the next one. */
export function toPage<Row, T>(
  rows: Row[],
  limit: number,
  position: (row: Row) => Position,
  map: (row: Row) => T,
): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { items: kept.map(map), next_cursor: more && last ? encodeCursor(position(last)) : null };
}
