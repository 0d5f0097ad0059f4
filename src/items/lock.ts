import { chunks } from "../db/chunks.js";
import type { Database, Executor } from "../db/database.js";

/**
 * Item rows as the first thing a transaction touches, locked on PostgreSQL
 * until it commits (SQLite's write transaction already excludes every other
 * writer). Everything that changes an item's labels — an analysis's commit,
 * a person's decision, an erasure — takes its item's row first, so they
 * happen one after the other per item, never interleaved: a person's removal
 * cannot land between an analysis reading decisions and writing labels, and
 * an erasure cannot land between an analysis checking the item and writing.
 *
 * `share`: many analyses may hold an item at once (they only read it);
 * `update`: one writer holds it alone. Rows are locked in id order, so two
 * transactions locking several never wait on each other in a cycle.
 */
export type LockMode = "share" | "update";

export interface LockedConversation {
  fs_id: string;
  content_hash: string | null;
}

export async function lockConversations(
  trx: Executor,
  dialect: Database["dialect"],
  fsIds: string[],
  mode: LockMode,
): Promise<Map<string, LockedConversation>> {
  const found = new Map<string, LockedConversation>();
  for (const part of chunks([...new Set(fsIds)].sort())) {
    let query = trx
      .selectFrom("conversations")
      .select(["fs_id", "content_hash"])
      .where("fs_id", "in", part)
      .orderBy("fs_id");
    if (dialect === "postgres") query = mode === "share" ? query.forShare() : query.forNoKeyUpdate();
    for (const row of await query.execute()) found.set(row.fs_id, row);
  }
  return found;
}

/**
 * Notes are locked exclusively in both modes: an analysis's commit moves the
 * note's `analyzed_version`, and two share locks upgraded at once deadlock.
 */
export async function lockNotes(
  trx: Executor,
  dialect: Database["dialect"],
  noteIds: string[],
): Promise<Map<string, number>> {
  const latest = new Map<string, number>();
  for (const part of chunks([...new Set(noteIds)].sort())) {
    let query = trx
      .selectFrom("notes")
      .select(["note_id", "latest_version"])
      .where("note_id", "in", part)
      .orderBy("note_id");
    if (dialect === "postgres") query = query.forNoKeyUpdate();
    for (const row of await query.execute()) latest.set(row.note_id, row.latest_version);
  }
  return latest;
}
