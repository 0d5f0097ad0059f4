import type { Executor } from "../db/database.js";
import type { BatchOutcome, ClaimedMessage, HandlerContext, TopicDefinition } from "../pubsub/topic.js";
import { type AnalysisKey, normalizeAnalysisKey } from "./key.js";

export const ANALYSIS_TOPIC = "conversation_note_analysis";

interface Target {
  message: ClaimedMessage;
  key: AnalysisKey;
}

/** Which of the batch's items still exist: one query per item kind, never one per message. */
async function existingItems(ex: Executor, targets: Target[]): Promise<Set<string>> {
  const fsIds = targets.flatMap((t) => ("conversation_fs_id" in t.key ? [t.key.conversation_fs_id] : []));
  const noteIds = targets.flatMap((t) => ("note_id" in t.key ? [t.key.note_id] : []));
  const found = new Set<string>();
  if (fsIds.length > 0) {
    const rows = await ex.selectFrom("conversations").select("fs_id").where("fs_id", "in", fsIds).execute();
    for (const r of rows) found.add(itemRef({ conversation_fs_id: r.fs_id }));
  }
  if (noteIds.length > 0) {
    const rows = await ex
      .selectFrom("note_versions")
      .select(["note_id", "version"])
      .where("note_id", "in", noteIds)
      .execute();
    for (const r of rows) found.add(itemRef({ note_id: r.note_id, note_version: r.version }));
  }
  return found;
}

function itemRef(key: AnalysisKey): string {
  return "conversation_fs_id" in key
    ? `c\u0000${key.conversation_fs_id}`
    : `n\u0000${key.note_id}\u0000${key.note_version}`;
}

/**
 * The handler of `conversation_note_analysis`: loads the batch's items, then
 * records one analysis run per item in the ack transaction. An item deleted
 * since the message was published has nothing left to analyze: its message
 * completes without a run.
 */
async function handle(messages: ClaimedMessage[], context: HandlerContext): Promise<BatchOutcome> {
  const targets = messages.map((message) => ({ message, key: message.key as AnalysisKey }));
  const existing = await existingItems(context.database.db, targets);
  return {
    async commit(trx, acked) {
      const ackedIds = new Set(acked.map((m) => m.id));
      const now = Date.now();
      const runs = targets
        .filter((t) => ackedIds.has(t.message.id) && existing.has(itemRef(t.key)))
        .map((t) => ({
          item_type: "conversation_fs_id" in t.key ? ("conversation" as const) : ("note" as const),
          item_id: "conversation_fs_id" in t.key ? t.key.conversation_fs_id : t.key.note_id,
          note_version: "note_version" in t.key ? t.key.note_version : null,
          message_id: t.message.id,
          analyzed_at: now,
        }));
      if (runs.length > 0) await trx.insertInto("analysis_runs").values(runs).execute();
    },
  };
}

export function analysisTopic(): TopicDefinition {
  return {
    name: ANALYSIS_TOPIC,
    description:
      "Analyze (label) one conversation or one note version. Key: {conversation_fs_id} or {note_id, note_version}.",
    normalizeKey: normalizeAnalysisKey,
    maxAttempts: 5,
    backoff: { baseMs: 1_000, maxMs: 5 * 60_000 },
    batchSize: 100,
    handle,
  };
}
