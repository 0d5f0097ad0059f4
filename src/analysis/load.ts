import { type Selectable, sql } from "kysely";
import { chunks } from "../db/chunks.js";
import type { Executor } from "../db/database.js";
import type { NoteVersionsTable } from "../db/schema.js";
import type { ClaimedMessage } from "../pubsub/topic.js";
import type { StoredItem } from "./item.js";
import type { AnalysisKey } from "./key.js";

type StoredMessages = Extract<StoredItem, { kind: "conversation" }>["messages"];

/**
 * Characters of item text one batch analyzes at most. A batch is sized by
 * count for the database (2,000 small items share a commit), and by text for
 * the analyzer: 2,000 items of 0.9 MB took 24 s to analyze, far past a lease.
 * What does not fit goes back to the queue untouched, before the analysis
 * (see `deferred`), for other runners to take meanwhile.
 */
export const MAX_BATCH_TEXT = 8_000_000;

export interface Loaded {
  message: ClaimedMessage;
  key: AnalysisKey;
  /** Absent: the item was deleted since the message was published. */
  item?: StoredItem;
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

/**
 * Items up to this size come with the first read of a batch: a full batch of
 * them fits the text budget, so a batch of ordinary items takes one query.
 * Bigger ones are read once the budget says which of them the batch takes.
 */
const SMALL_ITEM_TEXT = Math.floor(MAX_BATCH_TEXT / 2_000);

interface Found {
  bytes: number;
  contentHash: string | null;
  /** Absent for a big item until it is read. */
  item?: StoredItem;
}

/** The batch's items: sizes and fingerprints of all, the content of the small ones. */
async function firstRead(ex: Executor, keys: AnalysisKey[]): Promise<Map<string, Found>> {
  const found = new Map<string, Found>();
  const fsIds = keys.flatMap((k) => ("conversation_fs_id" in k ? [k.conversation_fs_id] : []));
  for (const part of chunks(fsIds)) {
    const rows = await ex
      .selectFrom("conversations")
      .select([
        "fs_id",
        "subject",
        "content_hash",
        "content_bytes",
        sql<StoredMessages | null>`case when content_bytes <= ${SMALL_ITEM_TEXT} then messages end`.as(
          "messages",
        ),
      ])
      .where("fs_id", "in", part)
      .execute();
    for (const r of rows) {
      const item: StoredItem | undefined =
        r.messages === null ? undefined : { kind: "conversation", subject: r.subject, messages: r.messages };
      found.set(r.fs_id, { bytes: r.content_bytes, contentHash: r.content_hash, item });
    }
  }
  const notes = keys.flatMap((k) => ("note_id" in k ? [k] : []));
  for (const part of chunks(notes, 2)) {
    const rows = await ex
      .selectFrom("note_versions")
      .select([
        "note_id",
        "version",
        "content_hash",
        "content_bytes",
        sql<string | null>`case when content_bytes <= ${SMALL_ITEM_TEXT} then text end`.as("text"),
      ])
      .where("note_id", "in", [...new Set(part.map((k) => k.note_id))])
      .where("version", "in", [...new Set(part.map((k) => k.note_version))])
      .execute();
    for (const r of rows) {
      const item: StoredItem | undefined = r.text === null ? undefined : { kind: "note", text: r.text };
      found.set(noteKey(r.note_id, r.version), { bytes: r.content_bytes, contentHash: r.content_hash, item });
    }
  }
  return found;
}

/** Big items' content with its fingerprint (read together: the fingerprint is of this very content). */
async function bigRead(ex: Executor, keys: AnalysisKey[], into: Map<string, Found>): Promise<void> {
  const fsIds = keys.flatMap((k) => ("conversation_fs_id" in k ? [k.conversation_fs_id] : []));
  for (const part of chunks(fsIds)) {
    const rows = await ex
      .selectFrom("conversations")
      .select(["fs_id", "subject", "messages", "content_hash", "content_bytes"])
      .where("fs_id", "in", part)
      .execute();
    for (const r of rows) {
      const item: StoredItem = {
        kind: "conversation",
        subject: r.subject,
        messages: r.messages as StoredMessages,
      };
      into.set(r.fs_id, { bytes: r.content_bytes, contentHash: r.content_hash, item });
    }
  }
  for (const r of await noteVersionRows(ex, keys, ["text", "content_hash", "content_bytes"])) {
    const item: StoredItem = { kind: "note", text: r.text };
    into.set(noteKey(r.note_id, r.version), { bytes: r.content_bytes, contentHash: r.content_hash, item });
  }
}

/**
 * Loads a claimed batch for analysis, in message order, up to the text
 * budget (always at least one item, however big), each item with the
 * fingerprint of the very content read.
 */
export async function loadBatch(ex: Executor, messages: ClaimedMessage[]): Promise<LoadedBatch> {
  const keys = messages.map((m) => m.key as AnalysisKey);
  const found = await firstRead(ex, keys);
  let budget = MAX_BATCH_TEXT;
  let taken = 0;
  for (const key of keys) {
    const bytes = found.get(itemKey(key))?.bytes ?? 0;
    if (taken > 0 && bytes > budget) break;
    budget -= bytes;
    taken++;
  }
  const big = keys.slice(0, taken).filter((key) => {
    const f = found.get(itemKey(key));
    return f !== undefined && f.item === undefined;
  });
  if (big.length > 0) await bigRead(ex, big, found);
  const loaded = messages.slice(0, taken).map((message, i) => {
    const key = keys[i] as AnalysisKey;
    const f = found.get(itemKey(key));
    // A big item deleted between the two reads has no content: it is skipped like any deleted item.
    return { message, key, item: f?.item, contentHash: f?.item && f.contentHash };
  });
  return { loaded, deferred: messages.slice(taken) };
}
