import { extendLease } from "../pubsub/queue.js";
import type { ClaimedMessage, TopicDefinition } from "../pubsub/topic.js";
import { type BatchReport, processBatch } from "./process-batch.js";
import type { Runtime } from "./runtime.js";

/**
 * Processes one claimed batch while keeping its lease alive: the lease is
 * extended every third of its length, so a slow batch is never taken from a
 * live runner, while a dead runner's batch is free again within one lease.
 */
export async function runBatch(
  runtime: Runtime,
  topic: TopicDefinition,
  batch: ClaimedMessage[],
): Promise<BatchReport> {
  const started = performance.now();
  const keeper = setInterval(
    () => {
      extendLease(runtime.database, batch, runtime.leaseMs).catch((err: Error) =>
        runtime.logger.warn({ err: err.message, topic: topic.name }, "could not extend a lease"),
      );
    },
    Math.max(Math.floor(runtime.leaseMs / 3), 50),
  );
  try {
    const report = await processBatch(runtime, topic, batch);
    runtime.observe?.(topic.name, report, (performance.now() - started) / 1000);
    return report;
  } finally {
    clearInterval(keeper);
  }
}
