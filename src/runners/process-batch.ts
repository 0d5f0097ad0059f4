import { transaction } from "../db/database.js";
import { ack, type FailOutcome, fail, release } from "../pubsub/queue.js";
import type { ClaimedMessage, HandlerContext, TopicDefinition } from "../pubsub/topic.js";
import { releaseWaits, settle } from "../reanalysis/accounting.js";
import { pauseAt } from "./pause-points.js";

export interface BatchReport {
  succeeded: number;
  /** Attempts that failed: retried later, folded into a newer message, or dead-lettered. */
  failed: number;
  deadLettered: number;
  /** Messages this runner no longer held (lease expired and taken elsewhere): nothing applied. */
  stale: number;
}

const emptyReport = (): BatchReport => ({ succeeded: 0, failed: 0, deadLettered: 0, stale: 0 });

function add(into: BatchReport, from: BatchReport): BatchReport {
  into.succeeded += from.succeeded;
  into.failed += from.failed;
  into.deadLettered += from.deadLettered;
  into.stale += from.stale;
  return into;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function failOne(
  context: HandlerContext,
  topic: TopicDefinition,
  message: ClaimedMessage,
  error: string,
  report: BatchReport,
): Promise<void> {
  const outcome: FailOutcome = await fail(context.database, topic, message, error);
  if (outcome === "stale") report.stale++;
  else {
    report.failed++;
    if (outcome === "dead") report.deadLettered++;
  }
  context.logger.warn(
    { topic: topic.name, message_id: message.id, attempt: message.attempts, outcome, error },
    "message failed",
  );
}

/**
 * Runs the handler on a claimed batch, then acks the batch and writes its
 * effects in one transaction (only for messages whose lease this runner still
 * holds). If the handler or the commit throws, the batch is split in halves and
 * each half retried, down to single messages: one poisoned message fails
 * alone, the rest of its batch goes through.
 */
export async function processBatch(
  context: HandlerContext,
  topic: TopicDefinition,
  messages: ClaimedMessage[],
): Promise<BatchReport> {
  const report = emptyReport();
  if (messages.length === 0) return report;
  try {
    const outcome = await topic.handle(messages, context);
    const deferred = new Set(outcome.deferred?.map((m) => m.id));
    const ok = messages.filter((m) => !outcome.failed?.has(m.id) && !deferred.has(m.id));
    await pauseAt("beforeAck");
    const acked = await transaction(context.database, async (trx) => {
      const ids = await ack(trx, ok);
      const waits = await releaseWaits(trx, [...ids]);
      const result = await outcome.commit(
        trx,
        ok.filter((m) => ids.has(m.id)),
        new Map(waits.map((w) => [w.message_id, w.job_id])),
      );
      const skipped = new Set(result?.skipped ?? []);
      await settle(
        trx,
        {
          done: [...ids].filter((id) => !skipped.has(id)),
          skipped: [...skipped],
          changes: result?.changes ?? undefined,
        },
        Date.now(),
        waits,
      );
      // Last: making deferred messages pending again takes pending-key entries that a writer
      // enqueueing the same items may hold; after the item locks, no wait can form a cycle.
      if (outcome.deferred?.length) await release(trx, outcome.deferred);
      return ids;
    });
    report.succeeded += acked.size;
    report.stale += ok.length - acked.size;
    for (const [id, error] of outcome.failed ?? []) {
      const message = messages.find((m) => m.id === id);
      if (message) await failOne(context, topic, message, error, report);
    }
    return report;
  } catch (err) {
    if (messages.length === 1) {
      await failOne(context, topic, messages[0] as ClaimedMessage, describe(err), report);
      return report;
    }
    const middle = Math.ceil(messages.length / 2);
    add(report, await processBatch(context, topic, messages.slice(0, middle)));
    return add(report, await processBatch(context, topic, messages.slice(middle)));
  }
}
