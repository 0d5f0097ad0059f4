import type { Executor } from "../db/database.js";

export interface TopicBacklog {
  pending: number;
  running: number;
  failed: number;
  /** Earliest run_at among pending messages (due now or backing off). */
  nextRunAt: number | null;
  /** Earliest lease expiry among running messages. */
  nextLeaseExpiry: number | null;
  oldestPendingCreatedAt: number | null;
}

const emptyBacklog = (): TopicBacklog => ({
  pending: 0,
  running: 0,
  failed: 0,
  nextRunAt: null,
  nextLeaseExpiry: null,
  oldestPendingCreatedAt: null,
});

/** Per topic: what is not yet final, and the dead letters. One grouped query. */
export async function backlog(ex: Executor, topics: string[]): Promise<Map<string, TopicBacklog>> {
  const rows = await ex
    .selectFrom("messages")
    .select((eb) => [
      "topic",
      "state",
      eb.fn.countAll<number>().as("n"),
      eb.fn.min("run_at").as("min_run_at"),
      eb.fn.min("lease_expires_at").as("min_lease"),
      eb.fn.min("created_at").as("min_created"),
    ])
    .where("state", "in", ["pending", "running", "failed"])
    .groupBy(["topic", "state"])
    .execute();
  const result = new Map(topics.map((t) => [t, emptyBacklog()]));
  for (const row of rows) {
    const entry = result.get(row.topic) ?? emptyBacklog();
    result.set(row.topic, entry);
    const n = Number(row.n);
    if (row.state === "pending") {
      entry.pending = n;
      entry.nextRunAt = row.min_run_at;
      entry.oldestPendingCreatedAt = row.min_created;
    } else if (row.state === "running") {
      entry.running = n;
      entry.nextLeaseExpiry = row.min_lease;
    } else entry.failed = n;
  }
  return result;
}

/** Messages finished (acked) per topic since `since`. */
export async function processedSince(ex: Executor, since: number): Promise<Map<string, number>> {
  const rows = await ex
    .selectFrom("messages")
    .select((eb) => ["topic", eb.fn.countAll<number>().as("n")])
    .where("state", "=", "done")
    .where("finished_at", ">=", since)
    .groupBy("topic")
    .execute();
  return new Map(rows.map((r) => [r.topic, Number(r.n)]));
}

/** How long until something can be worked on: 0 if due now, null if nothing remains. */
export function nextDueInMs(entries: Iterable<TopicBacklog>, now: number): number | null {
  let next: number | null = null;
  for (const e of entries) {
    for (const at of [e.nextRunAt, e.nextLeaseExpiry]) {
      if (at === null) continue;
      const wait = Math.max(0, at - now);
      next = next === null ? wait : Math.min(next, wait);
    }
  }
  return next;
}
