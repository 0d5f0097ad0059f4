import { refreshStaleStatistics } from "../db/statistics.js";
import { pruneFinished, reapExpiredLeases } from "../pubsub/queue.js";
import type { Runtime } from "./runtime.js";

/**
 * What every runner does now and then, ticks included: recover expired leases
 * (cheap and idempotent; every process does it, so any survivor will), prune
 * old finished messages (for up to `pruneBudgetMs`, in short transactions), and
 * keep PostgreSQL's statistics up with bulk jobs.
 */
export async function housekeeping(runtime: Runtime, { pruneBudgetMs = 1_000 } = {}): Promise<void> {
  await reapExpiredLeases(runtime.database);
  await pruneFinished(runtime.database, runtime.retentionMs, Date.now(), { budgetMs: pruneBudgetMs });
  const analyzed = await refreshStaleStatistics(runtime.database);
  if (analyzed.length > 0) runtime.logger.debug({ tables: analyzed }, "refreshed table statistics");
}
