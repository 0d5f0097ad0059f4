import { refreshStaleStatistics } from "../db/statistics.js";
import { pruneFinished, reapExpiredLeases } from "../pubsub/queue.js";
import type { Runtime } from "./runtime.js";

/**
 * What every runner does now and then, ticks included: recover expired leases
 * (cheap and idempotent; every process does it, so any survivor will), prune
 * old finished messages, and keep PostgreSQL's statistics up with bulk jobs.
 */
export async function housekeeping(runtime: Runtime): Promise<void> {
  await reapExpiredLeases(runtime.database);
  await pruneFinished(runtime.database, runtime.retentionMs);
  const analyzed = await refreshStaleStatistics(runtime.database);
  if (analyzed.length > 0) runtime.logger.debug({ tables: analyzed }, "refreshed table statistics");
}
