import { setTimeout as sleep } from "node:timers/promises";
import type { QueueUnderTest } from "./contender.js";

/** What one run does; the same plan for every contender. */
export interface RunPlan {
  messages: number;
  /** Messages per bulk call (per transaction, for relabel). */
  chunk: number;
  /** Concurrent publishers, and for how long, in the single-message enqueue phase. */
  singleConcurrency: number;
  singleSeconds: number;
  /** Latency phase: this many messages, one at a time, at this rate. */
  latencySamples: number;
  latencyPerSecond: number;
  /** Give up on a phase after this long (a stuck contender must not hang the bench). */
  timeoutMs: number;
}

export interface RunResult {
  enqueueBulkPerS: number;
  enqueueSinglePerS: number;
  processedPerS: number;
  latenciesMs: number[];
}

/** Handler starts, by sequence number: when each message reached its handler. */
class Arrivals {
  readonly at = new Map<number, number>();
  duplicates = 0;
  #waiter?: { count: number; resolve: () => void };

  readonly onHandled = (seq: number): void => {
    const now = performance.now();
    if (this.at.has(seq)) this.duplicates++;
    else this.at.set(seq, now);
    if (this.#waiter && this.at.size >= this.#waiter.count) this.#waiter.resolve();
  };

  async reach(count: number, timeoutMs: number, what: string): Promise<void> {
    if (this.at.size >= count) return;
    const reached = new Promise<void>((resolve) => {
      this.#waiter = { count, resolve };
    });
    // Cancelled once reached, so a pending timer never keeps the process alive.
    const cancel = new AbortController();
    const timer = sleep(timeoutMs, "timeout" as const, { signal: cancel.signal }).catch(() => "cancelled");
    try {
      if ((await Promise.race([reached, timer])) === "timeout")
        throw new Error(`${what}: only ${this.at.size} of ${count} handled after ${timeoutMs} ms`);
    } finally {
      cancel.abort();
      this.#waiter = undefined;
    }
  }
}

async function untilFinished(queue: QueueUnderTest, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while ((await queue.unfinished()) > 0) {
    if (performance.now() > deadline) throw new Error(`acks not in the database after ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** N messages through the bulk path, chunk by chunk, from one client. */
async function enqueueBulk(queue: QueueUnderTest, plan: RunPlan): Promise<number> {
  const started = performance.now();
  for (let from = 0; from < plan.messages; from += plan.chunk) {
    await queue.enqueueBulk(from, Math.min(plan.chunk, plan.messages - from));
  }
  return plan.messages / ((performance.now() - started) / 1000);
}

/**
 * From starting the consumers (pools already connected) until every message is
 * handled and its completion is visible in the database: acks that are batched
 * or not awaited count only once they land. The queue is full before they start.
 */
async function processAll(queue: QueueUnderTest, arrivals: Arrivals, plan: RunPlan): Promise<number> {
  await queue.warmUp();
  const started = performance.now();
  await queue.startConsumers(arrivals.onHandled);
  await arrivals.reach(plan.messages, plan.timeoutMs, "processing");
  await untilFinished(queue, plan.timeoutMs);
  const seconds = (performance.now() - started) / 1000;
  if (arrivals.duplicates > 0) console.error(`  warning: ${arrivals.duplicates} messages handled twice`);
  return plan.messages / seconds;
}

/**
 * Light load on idle consumers: one message at a time on a fixed schedule (not
 * waiting for the previous one), latency from the publish call's return (its
 * commit) to the handler's start.
 */
async function latencies(queue: QueueUnderTest, arrivals: Arrivals, plan: RunPlan): Promise<number[]> {
  await sleep(300); // consumers have drained the queue and gone idle
  const firstSeq = plan.messages;
  const committed = new Map<number, number>();
  const started = performance.now();
  const gapMs = 1000 / plan.latencyPerSecond;
  for (let i = 0; i < plan.latencySamples; i++) {
    const wait = started + i * gapMs - performance.now();
    if (wait > 0) await sleep(wait);
    await queue.enqueueOne(firstSeq + i);
    committed.set(firstSeq + i, performance.now());
  }
  await arrivals.reach(plan.messages + plan.latencySamples, plan.timeoutMs, "latency");
  return [...committed].map(([seq, at]) => (arrivals.at.get(seq) as number) - at);
}

/** `singleConcurrency` publishers, each one message per call, for `singleSeconds`. */
async function enqueueSingles(queue: QueueUnderTest, plan: RunPlan, firstSeq: number): Promise<number> {
  let next = firstSeq;
  const started = performance.now();
  const until = started + plan.singleSeconds * 1000;
  const publisher = async () => {
    while (performance.now() < until) await queue.enqueueOne(next++);
  };
  await Promise.all(Array.from({ length: plan.singleConcurrency }, publisher));
  return (next - firstSeq) / ((performance.now() - started) / 1000);
}

/** One run on a freshly opened queue: bulk enqueue, drain, light-load latency, single enqueue. */
export async function benchRun(queue: QueueUnderTest, plan: RunPlan): Promise<RunResult> {
  const arrivals = new Arrivals();
  const enqueueBulkPerS = await enqueueBulk(queue, plan);
  const processedPerS = await processAll(queue, arrivals, plan);
  const latenciesMs = await latencies(queue, arrivals, plan);
  await queue.stopConsumers();
  // Consumers are stopped, so this measures publishing alone, into a table that has seen a run.
  const enqueueSinglePerS = await enqueueSingles(queue, plan, plan.messages + plan.latencySamples);
  return { enqueueBulkPerS, enqueueSinglePerS, processedPerS, latenciesMs };
}
