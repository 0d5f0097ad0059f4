import { sql } from "kysely";
import { type Database, type Executor, transaction } from "../db/database.js";
import { type JobType, type ReanalysisJobsTable, readJson } from "../db/schema.js";
import { AppError } from "../errors.js";
import { enqueue, PRIORITY, type Publisher } from "../pubsub/publish.js";
import { canonicalKey } from "../pubsub/topic.js";
import { toIso } from "../time.js";
import { countRange, FANOUT_CHUNK, FANOUT_TOPIC } from "./fanout.js";

/** Dry runs analyze at most this many items of a range: the oldest first. */
export const PREVIEW_SAMPLE_LIMIT = 10_000;

export interface JobRequest {
  type: JobType;
  from: number;
  until: number;
  dryRun: boolean;
}

export interface Job {
  id: number;
  status: ReanalysisJobsTable["status"];
  type: "conversations" | "notes" | "both";
  from: string;
  until: string;
  dry_run: boolean;
  /**
   * Items in range (a dry run: in its sample), counted when the job is
   * created; items that enter or leave the range during fan-out correct it,
   * and it is exact once fan-out has finished (status past `fanning_out`).
   */
  total: number;
  /** Analysis messages the job waits on or waited on (one per item; shared with other work where a key was pending). */
  enqueued: number;
  done: number;
  failed: number;
  /** Items with nothing left to analyze (deleted since), or whose message another party cancelled. */
  skipped: number;
  /** Items whose labels changed (dry run: would change). */
  items_changed: number;
  /** Per label, how many items gained and lost it (dry run: would). */
  changes: { label: string; added: number; removed: number }[];
  /** Items finished per second since the job started, and the time left at that rate (from the first item finished). */
  rate_per_second: number | null;
  eta_seconds: number | null;
  sample_limit: number | null;
  created_at: string;
  fanned_out_at: string | null;
  finished_at: string | null;
  url: string;
}

export function jobUrl(id: number): string {
  return `/api/internal/labels/reanalysis/${id}`;
}

/** Creates a job and its first fan-out step, in one transaction: the runners (ticks or workers) do the rest. */
export async function createJob(
  database: Database,
  publisher: Publisher,
  request: JobRequest,
  now = Date.now(),
): Promise<Job> {
  const sampleLimit = request.dryRun ? PREVIEW_SAMPLE_LIMIT : null;
  // Counted before the transaction: on SQLite it holds the write lock, which a count need not.
  const total = await countRange(database.db, request, sampleLimit);
  const id = await transaction(database, async (trx) => {
    const { id } = await trx
      .insertInto("reanalysis_jobs")
      .values({
        status: "fanning_out",
        type: request.type,
        from_ms: request.from,
        until_ms: request.until,
        dry_run: request.dryRun ? 1 : 0,
        sample_limit: sampleLimit,
        total,
        cursor_kind: null,
        cursor_at: null,
        cursor_id: null,
        created_at: now,
        fanned_out_at: null,
        finished_at: null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await enqueue(trx, publisher, { topic: FANOUT_TOPIC, key: { job_id: id }, priority: PRIORITY.live }, now);
    return id;
  });
  return getJob(database.db, id);
}

type JobRow = Omit<
  ReanalysisJobsTable,
  "id" | "total" | "enqueued" | "done" | "failed" | "skipped" | "items_changed" | "cursor_walk"
> &
  Record<"id" | "total" | "enqueued" | "done" | "failed" | "skipped" | "items_changed", number>;

function toJob(row: JobRow, changes: Job["changes"], now: number): Job {
  const finished = row.done + row.failed + row.skipped;
  const elapsed = ((row.finished_at ?? now) - row.created_at) / 1000;
  const rate = elapsed > 0 && finished > 0 ? finished / elapsed : null;
  const left = row.total - finished;
  return {
    id: row.id,
    status: row.status,
    type: row.type,
    from: toIso(row.from_ms),
    until: toIso(row.until_ms),
    dry_run: row.dry_run === 1,
    total: row.total,
    enqueued: row.enqueued,
    done: row.done,
    failed: row.failed,
    skipped: row.skipped,
    items_changed: row.items_changed,
    changes,
    rate_per_second: rate === null ? null : Math.round(rate * 10) / 10,
    // The total is known from the start (counted at creation), so the first item finished gives an ETA.
    eta_seconds:
      row.status === "done"
        ? 0
        : rate === null || row.status === "cancelled"
          ? null
          : Math.ceil(Math.max(0, left) / rate),
    sample_limit: row.sample_limit,
    created_at: toIso(row.created_at),
    fanned_out_at: row.fanned_out_at === null ? null : toIso(row.fanned_out_at),
    finished_at: row.finished_at === null ? null : toIso(row.finished_at),
    url: jobUrl(row.id),
  };
}

async function changesOf(ex: Executor, ids: number[]): Promise<Map<number, Job["changes"]>> {
  const result = new Map<number, Job["changes"]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return result;
  const rows = await ex
    .selectFrom("reanalysis_job_changes")
    .selectAll()
    .where("job_id", "in", ids)
    .orderBy("job_id")
    .orderBy("label")
    .execute();
  for (const r of rows)
    result.get(r.job_id)?.push({ label: r.label, added: Number(r.added), removed: Number(r.removed) });
  return result;
}

export async function getJob(ex: Executor, id: number): Promise<Job> {
  const row = await ex.selectFrom("reanalysis_jobs").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw new AppError("job_not_found", `No reanalysis job ${id}.`, { id });
  return toJob(row as JobRow, (await changesOf(ex, [id])).get(id) ?? [], Date.now());
}

/** Jobs, newest first, keyset-paginated by id. */
export async function listJobs(
  ex: Executor,
  query: { beforeId?: number; limit: number },
): Promise<{ items: Job[]; next_cursor: string | null }> {
  let q = ex
    .selectFrom("reanalysis_jobs")
    .selectAll()
    .orderBy("id", "desc")
    .limit(query.limit + 1);
  if (query.beforeId !== undefined) q = q.where("id", "<", query.beforeId);
  const rows = (await q.execute()) as JobRow[];
  const page = rows.slice(0, query.limit);
  const changes = await changesOf(
    ex,
    page.map((r) => r.id),
  );
  const now = Date.now();
  return {
    items: page.map((r) => toJob(r, changes.get(r.id) ?? [], now)),
    next_cursor: rows.length > query.limit ? String(page[page.length - 1]?.id) : null,
  };
}

/** Jobs not yet finished (fanning out or running), oldest first: a handful, from a small table. */
export async function activeJobs(ex: Executor, limit = 100): Promise<Job[]> {
  const rows = (await ex
    .selectFrom("reanalysis_jobs")
    .selectAll()
    .where("status", "in", ["fanning_out", "running"])
    .orderBy("id")
    .limit(limit)
    .execute()) as JobRow[];
  const changes = await changesOf(
    ex,
    rows.map((r) => r.id),
  );
  const now = Date.now();
  return rows.map((r) => toJob(r, changes.get(r.id) ?? [], now));
}

/**
 * Messages that the fan-out of active jobs has yet to publish: each job's
 * items not enqueued yet, and its fan-out steps beyond the one pending (one
 * per chunk, and one that ends each kind of item still to walk). With the
 * queue's own count, a `drain` knows the whole of its work from its first
 * tick instead of learning it chunk by chunk. Exact but for a step when a
 * job of both types splits across chunk boundaries, or when items change
 * meanwhile.
 */
export async function messagesToCome(ex: Executor): Promise<number> {
  const rows = await ex
    .selectFrom("reanalysis_jobs")
    .select(["type", "total", "enqueued", "cursor_kind"])
    .where("status", "=", "fanning_out")
    .execute();
  let count = 0;
  for (const r of rows) {
    const left = Math.max(0, Number(r.total) - Number(r.enqueued));
    const kindsAfter = r.type === "both" && r.cursor_kind !== "note" ? 1 : 0;
    count += left + Math.floor(left / FANOUT_CHUNK) + kindsAfter;
  }
  return count;
}

export interface JobItem {
  /** The analysis run: the page's keyset. */
  run_id: number;
  type: "conversation" | "note";
  id: string;
  /** The note version analyzed (null for a conversation). */
  note_version: number | null;
  added: string[];
  removed: string[];
  analyzed_at: string;
}

/**
 * The items whose labels a job changed, with what its run added and removed,
 * in run order, keyset-paginated by run id. Only runs that changed something
 * are read: the partial index analysis_runs_job_changed (migration 0011) holds
 * exactly those, so a page costs the same whatever share of the job's items
 * changed. The condition below must stay word for word the index's for
 * SQLite to use it. A dry run records no runs: its list is empty.
 */
export async function jobItems(
  ex: Executor,
  id: number,
  query: { afterRunId?: number; limit: number },
): Promise<{ items: JobItem[]; next_cursor: string | null }> {
  const job = await ex.selectFrom("reanalysis_jobs").select("id").where("id", "=", id).executeTakeFirst();
  if (!job) throw new AppError("job_not_found", `No reanalysis job ${id}.`, { id });
  const rows = await jobItemsQuery(ex, id, query.afterRunId, query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  return {
    items: page.map((r) => ({
      run_id: Number(r.id),
      type: r.item_type,
      id: r.item_id,
      note_version: r.note_version === null ? null : Number(r.note_version),
      added: readJson<string[]>(r.added),
      removed: readJson<string[]>(r.removed),
      analyzed_at: toIso(Number(r.analyzed_at)),
    })),
    next_cursor: rows.length > query.limit ? String(page[page.length - 1]?.id) : null,
  };
}

/** The page query of jobItems (exported so a test can check its plan uses the index). */
export function jobItemsQuery(ex: Executor, jobId: number, afterRunId: number | undefined, limit: number) {
  return ex
    .selectFrom("analysis_runs")
    .select(["id", "item_type", "item_id", "note_version", "added", "removed", "analyzed_at"])
    .where("job_id", "=", jobId)
    .where(sql<boolean>`(added <> '[]' or removed <> '[]')`)
    .$if(afterRunId !== undefined, (q) => q.where("id", ">", afterRunId as number))
    .orderBy("id")
    .limit(limit);
}

/**
 * Cancels a job: its pending fan-out step and the pending messages only it
 * needs are cancelled; a message another job waits on, or that live work asked
 * for (its priority was raised), stays. Running messages finish normally, so
 * nothing is left half-done. Cancelling a finished job changes nothing.
 */
export async function cancelJob(database: Database, id: number, now = Date.now()): Promise<Job> {
  await transaction(database, async (trx) => {
    const job = await trx
      .selectFrom("reanalysis_jobs")
      .select("status")
      .where("id", "=", id)
      .executeTakeFirst();
    if (!job) throw new AppError("job_not_found", `No reanalysis job ${id}.`, { id });
    if (job.status === "done" || job.status === "cancelled") return;
    await trx
      .updateTable("reanalysis_jobs")
      .set({ status: "cancelled", finished_at: now })
      .where("id", "=", id)
      .execute();
    await trx
      .updateTable("messages")
      .set({ state: "cancelled", finished_at: now })
      .where("topic", "=", FANOUT_TOPIC)
      .where("key", "=", canonicalKey({ job_id: id }))
      .where("state", "=", "pending")
      .execute();
    await trx
      .updateTable("messages")
      .set({ state: "cancelled", finished_at: now })
      .where("state", "=", "pending")
      .where("priority", ">=", PRIORITY.bulk)
      .where("id", "in", (eb) =>
        eb.selectFrom("reanalysis_job_messages").select("message_id").where("job_id", "=", id),
      )
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("reanalysis_job_messages as other")
              .select("other.job_id")
              .whereRef("other.message_id", "=", "messages.id")
              .where("other.job_id", "<>", id),
          ),
        ),
      )
      .execute();
    await trx.deleteFrom("reanalysis_job_messages").where("job_id", "=", id).execute();
  });
  return getJob(database.db, id);
}
