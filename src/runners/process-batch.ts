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
  /** Messages the handler handed back unprocessed (pending again, for any runner). */
  handedBack: number;
}

const emptyReport = (): BatchReport => ({
  succeeded: 0,
  failed: 0,
  deadLettered: 0,
  stale: 0,
  handedBack: 0,
});

function add(into: BatchReport, from: BatchReport): BatchReport {
  into.succeeded += from.succeeded;
  into.failed += from.failed;
  into.deadLettered += from.deadLettered;
  into.stale += from.stale;
  into.handedBack += from.handedBack;
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

/** What a runner brings to a batch: the handler's context, less what the batch itself provides. */
export type RunnerContext = Omit<HandlerContext, "handBack">;

/** The batch's lease keeper (see run-batch.ts): told which messages it need no longer keep. */
export interface LeaseHolder {
  drop(ids: number[]): void;
}

/**
 * Runs the handler on a claimed batch, then acks the batch and writes its
 * effects in one transaction (only for messages whose lease this runner still
 * holds). If the handler or the commit throws, the batch is split in halves and
 * each half retried, down to single messages: one poisoned message fails
 * alone, the rest of its batch goes through. Messages the handler hands back
 * (see `HandlerContext.handBack`) are pending again at once, in a transaction
 * of their own, and are no part of the ack nor of a retry. If `signal` aborts,
 * the whole batch is handed back so.
 */
export async function processBatch(
  context: RunnerContext,
  topic: TopicDefinition,
  messages: ClaimedMessage[],
  lease?: LeaseHolder,
  signal?: AbortSignal,
): Promise<BatchReport> {
  const handedBack = new Set<number>();
  const { database, logger, topics, wakeups } = context;
  const handlerContext: HandlerContext = {
    database,
    logger,
    topics,
    wakeups,
    async handBack(back) {
      const fresh = back.filter((m) => !handedBack.has(m.id));
      if (fresh.length === 0) return;
      // Its own short transaction, before the analysis: no lock of this batch's ack is held
      // meanwhile (making a message pending takes its pending-key entry, which a writer enqueueing
      // the same item may hold while it holds the item's row), and other runners take them now.
      // If it fails, they are still this batch's, and a retry of the batch hands them back again.
      await transaction(database, async (trx) => {
        await release(trx, fresh);
        await wakeups.notify(trx, topic.name);
      });
      for (const m of fresh) handedBack.add(m.id);
      lease?.drop(fresh.map((m) => m.id));
    },
  };
  // Interrupted (Ctrl-C on a CLI that ticks): what the batch still holds goes back now, pending at
  // once with its attempt not counted, rather than sit under a lease nobody keeps. A handler still
  // working on it finishes for nothing: its ack finds the messages no longer held.
  if (signal?.aborted) {
    await handlerContext.handBack(messages);
    return { ...emptyReport(), handedBack: handedBack.size };
  }
  let abandoned: Promise<unknown> | undefined;
  const abandon = () => {
    // Caught here and thrown below: rejected while the handler is still busy, it would go unhandled.
    abandoned = handlerContext.handBack(messages).then(
      () => undefined,
      (err: unknown) => ({ err }),
    );
  };
  signal?.addEventListener("abort", abandon, { once: true });
  let report: BatchReport;
  try {
    report = await processPart(handlerContext, topic, messages, handedBack);
  } finally {
    signal?.removeEventListener("abort", abandon);
  }
  const failed = (await abandoned) as { err: unknown } | undefined;
  if (failed) throw failed.err;
  report.handedBack = handedBack.size;
  return report;
}

async function processPart(
  context: HandlerContext,
  topic: TopicDefinition,
  claimed: ClaimedMessage[],
  handedBack: ReadonlySet<number>,
): Promise<BatchReport> {
  const report = emptyReport();
  const messages = claimed.filter((m) => !handedBack.has(m.id));
  if (messages.length === 0) return report;
  try {
    const outcome = await topic.handle(messages, context);
    const ok = messages.filter((m) => !outcome.failed?.has(m.id) && !handedBack.has(m.id));
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
      return ids;
    });
    report.succeeded += acked.size;
    report.stale += ok.length - acked.size;
    for (const [id, error] of outcome.failed ?? []) {
      const message = messages.find((m) => m.id === id);
      if (message && !handedBack.has(id)) await failOne(context, topic, message, error, report);
    }
    return report;
  } catch (err) {
    const left = messages.filter((m) => !handedBack.has(m.id));
    if (left.length === 0) return report;
    if (left.length === 1) {
      await failOne(context, topic, left[0] as ClaimedMessage, describe(err), report);
      return report;
    }
    const middle = Math.ceil(left.length / 2);
    add(report, await processPart(context, topic, left.slice(0, middle), handedBack));
    return add(report, await processPart(context, topic, left.slice(middle), handedBack));
  }
}
