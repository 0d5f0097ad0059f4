import { AppError } from "../errors.js";
import { backlog, processedSince } from "../pubsub/stats.js";
import type { Runtime } from "../runners/runtime.js";

/** One topic's health, as `GET /api/internal/pubsub/topics` reports it. */
export interface TopicHealth {
  topic: string;
  pending: number;
  /** Running under a live lease. */
  running: number;
  /** Claimed, but the lease ran out (the runner died, stalled or was interrupted): pending again at the next lease recovery. */
  expired: number;
  /** Dead-lettered (attempts used up). */
  failed: number;
  oldest_pending_age_ms: number | null;
  processed_last_minute: number;
}

/**
 * Each registered topic's backlog and throughput: two grouped queries over the
 * queue's partial indexes (messages not yet final, and messages finished in
 * the last minute), never over the finished history.
 */
export async function queueHealth(
  context: Pick<Runtime, "database" | "topics">,
  now = Date.now(),
): Promise<TopicHealth[]> {
  const names = context.topics.names();
  const [left, processed] = await Promise.all([
    backlog(context.database.db, names, now),
    processedSince(context.database.db, now - 60_000),
  ]);
  return names.map((topic) => {
    const b = left.get(topic);
    if (!b) throw new AppError("internal");
    return {
      topic,
      pending: b.pending,
      running: b.running - b.expired,
      expired: b.expired,
      failed: b.failed,
      oldest_pending_age_ms:
        b.oldestPendingCreatedAt === null ? null : Math.max(0, now - b.oldestPendingCreatedAt),
      processed_last_minute: processed.get(topic) ?? 0,
    };
  });
}
