import { sql } from "kysely";
import { chunks } from "../db/chunks.js";
import type { Executor } from "../db/database.js";
import type { LabelDiff } from "../labels/assignments.js";

/**
 * Reanalysis jobs wait on messages (reanalysis_job_messages). When messages
 * reach a final state, in the same transaction, each waiting job counts them
 * and lets go; a job whose fan-out is over and that waits on nothing more is
 * done. Messages no job waits on (live traffic) cost one indexed look-up.
 */
export interface Settlement {
  done?: number[];
  /** Completed with nothing to do (the item was deleted meanwhile). */
  skipped?: number[];
  failed?: number[];
  /** What the analysis of a message changed (or, in a dry run, would change). */
  changes?: Map<number, LabelDiff>;
}

interface JobTally {
  done: number;
  skipped: number;
  failed: number;
  itemsChanged: number;
  labels: Map<string, { added: number; removed: number }>;
}

export interface Wait {
  job_id: number;
  message_id: number;
}

/** The jobs that waited on these messages, which no longer wait on them. */
export async function releaseWaits(trx: Executor, messageIds: number[]): Promise<Wait[]> {
  const waits: Wait[] = [];
  for (const part of chunks(messageIds)) {
    waits.push(
      ...(await trx
        .deleteFrom("reanalysis_job_messages")
        .where("message_id", "in", part)
        .returning(["job_id", "message_id"])
        .execute()),
    );
  }
  return waits;
}

/**
 * Counts messages that reached a final state for the jobs that waited on
 * them. `waits`: those jobs, if the caller already released them.
 */
export async function settle(
  trx: Executor,
  settlement: Settlement,
  now = Date.now(),
  waits?: Wait[],
): Promise<void> {
  const outcome = new Map<number, "done" | "skipped" | "failed">();
  for (const id of settlement.done ?? []) outcome.set(id, "done");
  for (const id of settlement.skipped ?? []) outcome.set(id, "skipped");
  for (const id of settlement.failed ?? []) outcome.set(id, "failed");
  if (outcome.size === 0) return;
  const links = waits ?? (await releaseWaits(trx, [...outcome.keys()]));
  if (links.length === 0) return;

  const tallies = new Map<number, JobTally>();
  for (const link of links) {
    const tally = tallies.get(link.job_id) ?? {
      done: 0,
      skipped: 0,
      failed: 0,
      itemsChanged: 0,
      labels: new Map(),
    };
    tallies.set(link.job_id, tally);
    tally[outcome.get(link.message_id) ?? "done"]++;
    const diff = settlement.changes?.get(link.message_id);
    if (!diff || diff.added.length + diff.removed.length === 0) continue;
    tally.itemsChanged++;
    for (const [names, field] of [
      [diff.added, "added"],
      [diff.removed, "removed"],
    ] as const) {
      for (const name of names) {
        const counts = tally.labels.get(name) ?? { added: 0, removed: 0 };
        counts[field]++;
        tally.labels.set(name, counts);
      }
    }
  }

  for (const [jobId, t] of tallies) {
    await trx
      .updateTable("reanalysis_jobs")
      .set((eb) => ({
        done: eb("done", "+", t.done),
        skipped: eb("skipped", "+", t.skipped),
        failed: eb("failed", "+", t.failed),
        items_changed: eb("items_changed", "+", t.itemsChanged),
      }))
      .where("id", "=", jobId)
      .execute();
    const rows = [...t.labels].map(([label, c]) => ({
      job_id: jobId,
      label,
      added: c.added,
      removed: c.removed,
    }));
    for (const part of chunks(rows, 4)) {
      await trx
        .insertInto("reanalysis_job_changes")
        .values(part)
        .onConflict((oc) =>
          oc.columns(["job_id", "label"]).doUpdateSet((eb) => ({
            added: eb("reanalysis_job_changes.added", "+", eb.ref("excluded.added")),
            removed: eb("reanalysis_job_changes.removed", "+", eb.ref("excluded.removed")),
          })),
        )
        .execute();
    }
  }
  await finishIdleJobs(trx, [...tallies.keys()], now);
}

/** Jobs whose fan-out is over and that wait on no message are done. */
export async function finishIdleJobs(trx: Executor, jobIds: number[], now = Date.now()): Promise<void> {
  if (jobIds.length === 0) return;
  await trx
    .updateTable("reanalysis_jobs")
    .set({ status: "done", finished_at: now })
    .where("id", "in", jobIds)
    .where("status", "=", "running")
    .where(
      sql<boolean>`not exists (select 1 from reanalysis_job_messages w where w.job_id = reanalysis_jobs.id)`,
    )
    .execute();
}

/**
 * A message folded into its pending twin (see requeue) hands its waiting jobs
 * over to the twin, which will do the work. Called before the fold.
 */
export async function handOverWaiters(trx: Executor, foldedIds: number[]): Promise<void> {
  for (const part of chunks(foldedIds)) {
    await sql`insert into reanalysis_job_messages (job_id, message_id)
      select w.job_id, twin.id from reanalysis_job_messages w
      join messages m on m.id = w.message_id
      join messages twin on twin.topic = m.topic and twin.key = m.key and twin.state = 'pending' and twin.id <> m.id
      where w.message_id in (${sql.join(part)})
      on conflict do nothing`.execute(trx);
    await trx.deleteFrom("reanalysis_job_messages").where("message_id", "in", part).execute();
  }
}
