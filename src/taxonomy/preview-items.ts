import type { StoredItem } from "../analysis/item.js";
import { noteVersionRows } from "../analysis/load.js";
import { chunks } from "../db/chunks.js";
import type { Executor } from "../db/database.js";
import type { JobType } from "../db/schema.js";
import { notesWithLatestVersion } from "../items/notes.js";
import type { ItemType } from "../labels/assignments.js";
import { kindsOf } from "../reanalysis/fanout.js";

/**
 * The items a taxonomy preview looks at: those whose last activity is in the
 * range, exactly as a reanalysis job picks them (conversations by
 * updated_at, notes by their latest version), newest first, so a capped
 * preview shows the items people look at most. A note is its latest
 * version: only that one sets the note's labels.
 */

export interface RangeItem {
  type: ItemType;
  id: string;
  /** The note's latest version; null for a conversation. */
  noteVersion: number | null;
  at: number;
  /** Characters of text analysis reads. */
  bytes: number;
}

export interface PreviewRange {
  type: JobType;
  from: number;
  until: number;
}

/** Up to `limit` items of the range, newest first over both kinds, and whether the range holds more. */
export async function newestInRange(
  ex: Executor,
  range: PreviewRange,
  limit: number,
): Promise<{ items: RangeItem[]; more: boolean }> {
  const found: RangeItem[] = [];
  for (const kind of kindsOf(range.type)) {
    if (kind === "conversation") {
      const rows = await ex
        .selectFrom("conversations")
        .select(["fs_id", "updated_at", "content_bytes"])
        .where("updated_at", ">=", range.from)
        .where("updated_at", "<=", range.until)
        .orderBy("updated_at", "desc")
        .orderBy("fs_id", "desc")
        .limit(limit + 1)
        .execute();
      for (const r of rows)
        found.push({ type: kind, id: r.fs_id, noteVersion: null, at: r.updated_at, bytes: r.content_bytes });
    } else {
      const rows = await notesWithLatestVersion(ex)
        .select(["notes.note_id", "notes.latest_version", "notes.updated_at", "note_versions.content_bytes"])
        .where("notes.updated_at", ">=", range.from)
        .where("notes.updated_at", "<=", range.until)
        .orderBy("notes.updated_at", "desc")
        .orderBy("notes.note_id", "desc")
        .limit(limit + 1)
        .execute();
      for (const r of rows)
        found.push({
          type: kind,
          id: r.note_id,
          noteVersion: r.latest_version,
          at: Number(r.updated_at),
          bytes: r.content_bytes,
        });
    }
  }
  found.sort((a, b) => b.at - a.at || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0) || cmp(b.id, a.id));
  return { items: found.slice(0, limit), more: found.length > limit };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How many items the range holds (what a reanalysis job of it would analyze). */
export async function countInRange(ex: Executor, range: PreviewRange): Promise<number> {
  let total = 0;
  for (const kind of kindsOf(range.type)) {
    const row = await ex
      .selectFrom(kind === "conversation" ? "conversations" : "notes")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("updated_at", ">=", range.from)
      .where("updated_at", "<=", range.until)
      .executeTakeFirst();
    total += Number(row?.n ?? 0);
  }
  return total;
}

export const itemKey = (type: ItemType, id: string) => `${type}\u0000${id}`;

/** The content of `items`, as analysis reads it, by `itemKey`; an item deleted since it was listed is absent. */
export async function loadContent(ex: Executor, items: RangeItem[]): Promise<Map<string, StoredItem>> {
  const content = new Map<string, StoredItem>();
  const fsIds = items.flatMap((i) => (i.type === "conversation" ? [i.id] : []));
  for (const part of chunks(fsIds)) {
    const rows = await ex
      .selectFrom("conversations")
      .select(["fs_id", "subject", "messages"])
      .where("fs_id", "in", part)
      .execute();
    for (const r of rows) {
      const messages = r.messages as Extract<StoredItem, { kind: "conversation" }>["messages"];
      content.set(itemKey("conversation", r.fs_id), { kind: "conversation", subject: r.subject, messages });
    }
  }
  const notes = items.flatMap((i) =>
    i.type === "note" ? [{ note_id: i.id, note_version: i.noteVersion as number }] : [],
  );
  const latest = new Map(notes.map((n) => [n.note_id, n.note_version]));
  // The query matches ids and versions separately, so it may bring other versions of these notes too.
  for (const r of await noteVersionRows(ex, notes, ["text"]))
    if (latest.get(r.note_id) === r.version)
      content.set(itemKey("note", r.note_id), { kind: "note", text: r.text });
  return content;
}
