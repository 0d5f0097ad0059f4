import { extendLease } from "../pubsub/queue.js";
import type { ClaimedMessage, TopicDefinition } from "../pubsub/topic.js";
import { type BatchReport, type LeaseHolder, processBatch } from "./process-batch.js";
import type { Runtime } from "./runtime.js";

/**
 * Keeps a batch's lease: extends it every third of its length, so a slow
 * batch is never taken from a live runner, while a dead runner's batch is
 * free again within one lease.
 *
 * One extension at a time: the next is due a third of the lease after the
 * previous one began, or at once if that one took longer. Extensions fired
 * on a fixed interval piled up whenever one was slow (on PostgreSQL each
 * waited for a row the batch's own ack transaction held): every one of them
 * took a pooled connection until the pool was empty, and the ack, the lease
 * recovery and the HTTP requests of the process waited for a connection for
 * seconds, while the leases they were to keep ran out.
 */
class LeaseKeeper implements LeaseHolder {
  readonly #runtime: Runtime;
  readonly #topic: string;
  #held: ClaimedMessage[];
  #timer?: NodeJS.Timeout;
  #stopped = false;

  constructor(runtime: Runtime, topic: string, batch: ClaimedMessage[]) {
    this.#runtime = runtime;
    this.#topic = topic;
    this.#held = batch;
    this.#schedule(this.#intervalMs);
  }

  get #intervalMs(): number {
    return Math.max(Math.floor(this.#runtime.leaseMs / 3), 50);
  }

  /** Messages handed back to the queue: their lease is no longer this batch's to keep. */
  drop(ids: number[]): void {
    const gone = new Set(ids);
    this.#held = this.#held.filter((m) => !gone.has(m.id));
  }

  /** Stops extending (an extension under way ends on its own: its messages are acked or given up). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#extend(), delayMs);
  }

  async #extend(): Promise<void> {
    const started = performance.now();
    try {
      if (this.#held.length > 0) await extendLease(this.#runtime.database, this.#held, this.#runtime.leaseMs);
    } catch (err) {
      this.#runtime.logger.warn(
        { err: (err as Error).message, topic: this.#topic },
        "could not extend a lease",
      );
    }
    this.#schedule(Math.max(0, this.#intervalMs - (performance.now() - started)));
  }
}

/** Processes one claimed batch while keeping its lease alive (see LeaseKeeper). */
export async function runBatch(
  runtime: Runtime,
  topic: TopicDefinition,
  batch: ClaimedMessage[],
  signal?: AbortSignal,
): Promise<BatchReport> {
  const started = performance.now();
  const keeper = new LeaseKeeper(runtime, topic.name, batch);
  try {
    const report = await processBatch(runtime, topic, batch, keeper, signal);
    runtime.observe?.(topic.name, report, (performance.now() - started) / 1000);
    return report;
  } finally {
    keeper.stop();
  }
}
