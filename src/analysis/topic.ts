import { chunks } from "../db/chunks.js";
import type { Database, Executor } from "../db/database.js";
import { AppError } from "../errors.js";
import { lockConversations, lockNotes } from "../items/lock.js";
import {
  type AnalysisResult,
  applyAnalysis,
  type LabelDiff,
  previewAnalysis,
} from "../labels/assignments.js";
import { PRIORITY } from "../pubsub/publish.js";
import type { BatchOutcome, ClaimedMessage, HandlerContext, TopicDefinition } from "../pubsub/topic.js";
import { enqueueAnalysis } from "./enqueue.js";
import type { StoredItem } from "./item.js";
import { type AnalysisKey, normalizeAnalysisKey } from "./key.js";
import type { AnalysisSetup } from "./label-items.js";
import { itemKey, type Loaded, loadBatch, noteVersionRows } from "./load.js";
import { ANALYZER_VERSION, type LabelAssignment } from "./rules.js";
import { AnalysisSetupCache } from "./setup.js";
import { analysisThreads } from "./threads.js";

export const ANALYSIS_TOPIC = "conversation_note_analysis";

/**
 * In the ack transaction, before anything is written: each analyzed item's
 * row, locked (see items/lock.ts), and whether it still has the content that
 * was analyzed. An item deleted or changed since it was loaded is moot: the
 * message completes as skipped and nothing is written (a change enqueued its
 * own analysis, which will see the new content). For notes, also the latest
 * version: only the latest version may set a note's labels.
 */
async function stillCurrent<T extends Loaded>(
  trx: Executor,
  dialect: Database["dialect"],
  analyzed: T[],
): Promise<{ current: T[]; moot: T[]; latest: Map<string, number> }> {
  const keys = analyzed.map((a) => a.key);
  const fsIds = keys.flatMap((k) => ("conversation_fs_id" in k ? [k.conversation_fs_id] : []));
  const conversations = await lockConversations(trx, dialect, fsIds, "share");
  const latest = await lockNotes(
    trx,
    dialect,
    keys.flatMap((k) => ("note_id" in k ? [k.note_id] : [])),
  );
  const versions = new Map<string, string | null>();
  const liveNotes = keys.filter((k) => "note_id" in k && latest.has(k.note_id));
  for (const r of await noteVersionRows(trx, liveNotes, ["content_hash"]))
    versions.set(itemKey({ note_id: r.note_id, note_version: r.version }), r.content_hash);
  const hashNow = (key: AnalysisKey) =>
    "conversation_fs_id" in key
      ? conversations.get(key.conversation_fs_id)?.content_hash
      : versions.get(itemKey(key));
  const current: T[] = [];
  const moot: T[] = [];
  for (const a of analyzed) {
    const now = hashNow(a.key);
    (now !== undefined && now === a.contentHash ? current : moot).push(a);
  }
  return { current, moot, latest };
}

/** Whether the taxonomy (and, if it uses one, the model) an analysis ran with are still the current ones. */
async function setupStillCurrent(trx: Executor, setup: AnalysisSetup): Promise<boolean> {
  const taxonomy = await trx
    .selectFrom("taxonomy_versions")
    .select((eb) => eb.fn.max("version").as("v"))
    .executeTakeFirst();
  if (Number(taxonomy?.v ?? 0) !== setup.taxonomy.version) return false;
  if (!setup.taxonomy.labels.some((l) => l.model !== undefined)) return true;
  const model = await trx.selectFrom("models").select("version").where("active", "=", 1).executeTakeFirst();
  return model?.version === setup.model?.version;
}

/**
 * The handler of `conversation_note_analysis` (mode "apply") and of its dry-run
 * twin (mode "preview"). It loads the batch's items and analyzes them outside
 * any transaction; then, in the ack transaction, "apply" writes the new labels
 * and one analysis run per item with what it added and removed, while
 * "preview" only computes what would change. A note version older than the
 * note's latest never changes the note's labels (its run is kept). An item
 * deleted or changed since it was loaded has nothing to write: skipped.
 */
function handler(setups: AnalysisSetupCache, mode: "apply" | "preview") {
  return async (messages: ClaimedMessage[], context: HandlerContext): Promise<BatchOutcome> => {
    const { dialect } = context.database;
    const reads = context.database.inlineReads ?? context.database.db;
    const setup = await setups.current(reads);
    const { taxonomy, model } = setup;
    const { loaded, deferred } = await loadBatch(reads, messages);
    // What does not fit goes back now, not with the ack: other runners analyze it meanwhile,
    // rather than wait while it sits under this runner's lease.
    await context.handBack(deferred);
    const missing = loaded.filter((l) => l.item === undefined).map((l) => l.message.id);
    const present = loaded.filter((l) => l.item !== undefined);
    const labels = await analysisThreads().label(
      present.map((l) => l.item as StoredItem),
      setup,
    );
    const analyzed = present.map((l, i) => ({ ...l, assignments: labels[i] as LabelAssignment[] }));
    return {
      async commit(trx, acked, jobs) {
        const ackedIds = new Set(acked.map((m) => m.id));
        const mine = analyzed.filter((a) => ackedIds.has(a.message.id));
        if (mode === "apply" && mine.length > 0 && !(await setupStillCurrent(trx, setup))) {
          // Made with a taxonomy or model that has since changed: another analysis, made with the
          // new one, may already have written; this older one must not overwrite it. Asked again.
          for (const a of mine) await enqueueAnalysis(trx, context, a.key, PRIORITY.bulk);
          return { skipped: [...missing.filter((id) => ackedIds.has(id)), ...mine.map((a) => a.message.id)] };
        }
        const { current, moot, latest } = await stillCurrent(trx, dialect, mine);
        const skipped = [...missing.filter((id) => ackedIds.has(id)), ...moot.map((a) => a.message.id)];
        if (current.length === 0) return { skipped };
        const applied = current.filter(
          (a) => !("note_id" in a.key) || latest.get(a.key.note_id) === a.key.note_version,
        );
        const results: AnalysisResult[] = applied.map((a) => ({
          itemType: "conversation_fs_id" in a.key ? "conversation" : "note",
          itemId: "conversation_fs_id" in a.key ? a.key.conversation_fs_id : a.key.note_id,
          noteVersion: "note_version" in a.key ? a.key.note_version : null,
          assignments: a.assignments,
          taxonomyVersion: taxonomy.version,
          analyzerVersion: ANALYZER_VERSION,
          modelVersion: model?.version ?? null,
        }));
        const diffs =
          mode === "apply" ? await applyAnalysis(trx, results) : await previewAnalysis(trx, results);
        const changes = new Map(applied.map((a, i) => [a.message.id, diffs[i] as LabelDiff]));
        if (mode === "apply")
          await recordRuns(
            trx,
            current,
            { changes, jobs },
            results,
            taxonomy.version,
            model?.version ?? null,
          );
        return { skipped, changes };
      },
    };
  };
}

/**
 * Notes now labeled from their latest version, and one run per analyzed item,
 * naming the reanalysis job it served (if any) for the label history.
 */
async function recordRuns(
  trx: Executor,
  analyzed: (Loaded & { message: ClaimedMessage })[],
  { changes, jobs }: { changes: Map<number, LabelDiff>; jobs: ReadonlyMap<number, number> },
  results: AnalysisResult[],
  taxonomyVersion: number,
  modelVersion: number | null,
): Promise<void> {
  const notes = results.filter((r) => r.itemType === "note").map((r) => r.itemId);
  for (const ids of chunks(notes)) {
    // Applied versions are the latest ones (checked in this transaction).
    await trx
      .updateTable("notes")
      .set((eb) => ({ analyzed_version: eb.ref("latest_version") }))
      .where("note_id", "in", ids)
      .execute();
  }
  const now = Date.now();
  const runs = analyzed.map((a) => {
    const diff = changes.get(a.message.id);
    return {
      item_type: "conversation_fs_id" in a.key ? ("conversation" as const) : ("note" as const),
      item_id: "conversation_fs_id" in a.key ? a.key.conversation_fs_id : a.key.note_id,
      note_version: "note_version" in a.key ? a.key.note_version : null,
      message_id: a.message.id,
      job_id: jobs.get(a.message.id) ?? null,
      analyzed_at: now,
      taxonomy_version: taxonomyVersion,
      analyzer_version: ANALYZER_VERSION,
      model_version: modelVersion,
      added: JSON.stringify(diff?.added ?? []),
      removed: JSON.stringify(diff?.removed ?? []),
      applied: diff === undefined ? 0 : 1,
    };
  });
  for (const part of chunks(runs, 13)) await trx.insertInto("analysis_runs").values(part).execute();
}

export function analysisTopic(): TopicDefinition {
  return {
    name: ANALYSIS_TOPIC,
    description:
      "Analyze (label) one conversation or one note version. Key: {conversation_fs_id} or {note_id, note_version}.",
    normalizeKey: normalizeAnalysisKey,
    maxAttempts: 5,
    backoff: { baseMs: 1_000, maxMs: 5 * 60_000 },
    // Per batch: two commits (claim, ack) and a dozen statements, which 2,000 items
    // share (a 100k re-label, 2 runner loops: SQLite 500 → 7.9k items/s, 2,000 → 11.7k;
    // PostgreSQL 250 → 7.2k, 500 → 8.3k, 1,000 → 8.9k, 2,000 → 9.5k). A batch takes
    // ~0.2 s, far inside any lease.
    batchSize: 2000,
    handle: handler(new AnalysisSetupCache(), "apply"),
  };
}

export const PREVIEW_TOPIC = "conversation_note_preview";

/**
 * Dry runs: the same analysis, nothing written. Its own topic, so preview work
 * never shares dedup keys with real work; keys carry their job's id.
 */
export function previewTopic(): TopicDefinition {
  return {
    name: PREVIEW_TOPIC,
    description: "Internal: dry-run analysis for a reanalysis preview (start one with ?dry_run=true).",
    normalizeKey: async () => {
      throw new AppError(
        "invalid_key",
        "key: this topic is internal; preview with POST /api/internal/labels/reanalysis?dry_run=true",
      );
    },
    maxAttempts: 3,
    backoff: { baseMs: 1_000, maxMs: 60_000 },
    batchSize: 250,
    handle: handler(new AnalysisSetupCache(), "preview"),
  };
}
