import type { Selectable } from "kysely";
import { chunks } from "../db/chunks.js";
import type { Executor } from "../db/database.js";
import { type NoteVersionsTable, readJson } from "../db/schema.js";
import type { ClaimedMessage } from "../pubsub/topic.js";
import type { AnalysisKey } from "./key.js";
import type { AnalyzableItem } from "./rules.js";

/**
 * Characters of item text one batch analyzes at most. A batch is sized by
 * count for the database (2,000 small items share a commit), and by text for
 * the analyzer: 2,000 items of 0.9 MB took 24 s to analyze, far past a lease.
 * What does not fit goes back to the queue untouched (see `deferred`).
 */
export const MAX_BATCH_TEXT = 8_000_000;

export interface Loaded {
  message: ClaimedMessage;
  key: AnalysisKey;
  /** Absent: the item was deleted since the message was published. */
  item?: AnalyzableItem;
  /** The fingerprint of the content analyzed; the commit writes only if it is still the item's. */
  contentHash?: string | null;
}

export interface LoadedBatch {
  loaded: Loaded[];
  /** Messages beyond the batch's text budget: back to the queue, their attempt not counted. */
  deferred: ClaimedMessage[];
}

const noteKey = (noteId: string, version: number) => `${noteId}\u0000${version}`;

export function itemKey(key: AnalysisKey): string {
  return "conversation_fs_id" in key ? key.conversation_fs_id : noteKey(key.note_id, key.note_version);
}

/** Rows of the note versions the keys name, with `columns`, a chunk of keys per query. */
export async function noteVersionRows<C extends "text" | "content_hash" | "content_bytes">(
  ex: Executor,
  keys: AnalysisKey[],
  columns: C[],
): Promise<Pick<Selectable<NoteVersionsTable>, "note_id" | "version" | C>[]> {
  const notes = keys.flatMap((k) => ("note_id" in k ? [k] : []));
  const found: Pick<Selectable<NoteVersionsTable>, "note_id" | "version" | C>[] = [];
  for (const part of chunks(notes, 2)) {
    const rows = await ex
      .selectFrom("note_versions")
      .select(["note_id", "version", ...columns])
      .where("note_id", "in", [...new Set(part.map((k) => k.note_id))])
      .where("version", "in", [...new Set(part.map((k) => k.note_version))])
      .execute();
    // Kysely cannot narrow a select of generic columns; these are exactly the columns selected.
    found.push(...(rows as unknown as Pick<Selectable<NoteVersionsTable>, "note_id" | "version" | C>[]));
  }
  return found;
}

/** Sizes of the batch's items: no text is read yet. */
async function sizes(ex: Executor, keys: AnalysisKey[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const fsIds = keys.flatMap((k) => ("conversation_fs_id" in k ? [k.conversation_fs_id] : []));
  for (const part of chunks(fsIds)) {
    const rows = await ex
      .selectFrom("conversations")
      .select(["fs_id", "content_bytes"])
      .where("fs_id", "in", part)
      .execute();
    for (const r of rows) found.set(r.fs_id, r.content_bytes);
  }
  for (const r of await noteVersionRows(ex, keys, ["content_bytes"]))
    found.set(noteKey(r.note_id, r.version), r.content_bytes);
  return found;
}

/** How many of the keys, in order, fit the text budget: at least one. */
async function fitting(ex: Executor, keys: AnalysisKey[]): Promise<number> {
  // One item always fits: live work (one message at a time) skips the query.
  if (keys.length <= 1) return keys.length;
  const known = await sizes(ex, keys);
  let budget = MAX_BATCH_TEXT;
  let taken = 0;
  for (const key of keys) {
    const bytes = known.get(itemKey(key)) ?? 0;
    if (taken > 0 && bytes > budget) break;
    budget -= bytes;
    taken++;
  }
  return taken;
}

/** The items' text with its fingerprint, one query per item kind and chunk, never one per message. */
async function texts(
  ex: Executor,
  keys: AnalysisKey[],
): Promise<Map<string, { item: AnalyzableItem; contentHash: string | null }>> {
  const found = new Map<string, { item: AnalyzableItem; contentHash: string | null }>();
  const fsIds = keys.flatMap((k) => ("conversation_fs_id" in k ? [k.conversation_fs_id] : []));
  for (const part of chunks(fsIds)) {
    const rows = await ex
      .selectFrom("conversations")
      .select(["fs_id", "subject", "messages", "content_hash"])
      .where("fs_id", "in", part)
      .execute();
    for (const r of rows) {
      const messages = readJson<{ role: "customer" | "agent" | "system"; text: string }[]>(r.messages);
      const item: AnalyzableItem = { kind: "conversation", subject: r.subject, messages };
      found.set(r.fs_id, { item, contentHash: r.content_hash });
    }
  }
  for (const r of await noteVersionRows(ex, keys, ["text", "content_hash"]))
    found.set(noteKey(r.note_id, r.version), {
      item: { kind: "note", text: r.text },
      contentHash: r.content_hash,
    });
  return found;
}

/**
 * Loads a claimed batch for analysis, in message order, up to the text
 * budget (always at least one item, however big), each item with the
 * fingerprint of the very content read.
 */
export async function loadBatch(ex: Executor, messages: ClaimedMessage[]): Promise<LoadedBatch> {
  const keys = messages.map((m) => m.key as AnalysisKey);
  const taken = await fitting(ex, keys);
  const items = await texts(ex, keys.slice(0, taken));
  const loaded = messages.slice(0, taken).map((message, i) => {
    const key = keys[i] as AnalysisKey;
    const found = items.get(itemKey(key));
    return { message, key, item: found?.item, contentHash: found?.contentHash };
  });
  return { loaded, deferred: messages.slice(taken) };
}
