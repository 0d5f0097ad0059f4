import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { claim } from "../pubsub/queue.js";
import { backlog, nextDueInMs } from "../pubsub/stats.js";
import { housekeeping } from "./housekeeping.js";
import { runBatch } from "./run-batch.js";
import type { Runtime } from "./runtime.js";

export const TICK_DEFAULTS = { maxMessages: 1_000, maxMs: 5_000 } as const;
export const TICK_CAPS = { maxMessages: 10_000, maxMs: 25_000 } as const;

export interface TickOptions {
  maxMessages?: number;
  maxMs?: number;
  /** Aborted (Ctrl-C on a CLI that ticks): claim nothing more, and hand back what is claimed (see processBatch). */
  signal?: AbortSignal;
}

export interface TopicTick {
  processed: number;
  succeeded: number;
  failed: number;
  dead_lettered: number;
  remaining: number;
}

export interface TickReport {
  /** Messages this tick worked on. */
  processed: number;
  succeeded: number;
  /** Attempts that failed (they retry after a backoff, or are dead-lettered). */
  failed: number;
  dead_lettered: number;
  /** Everything not yet final: due, backing off, or running. 0 means all work is done. */
  remaining: number;
  /** 0 if work is due now; otherwise how long until the next backoff or lease ends; null if nothing remains. */
  next_due_in_ms: number | null;
  duration_ms: number;
  topics: Record<string, TopicTick>;
}

/**
 * One bounded pass over every topic: recover expired leases, then claim and
 * process batches round-robin across topics until `maxMessages` are processed,
 * `maxMs` has passed (checked between batches), or nothing is due. Reports what
 * it did and what remains, so a caller knows whether to tick again.
 */
export async function tick(runtime: Runtime, options: TickOptions = {}): Promise<TickReport> {
  const start = Date.now();
  const maxMessages = Math.min(options.maxMessages ?? TICK_DEFAULTS.maxMessages, TICK_CAPS.maxMessages);
  const deadline = start + Math.min(options.maxMs ?? TICK_DEFAULTS.maxMs, TICK_CAPS.maxMs);
  const { database } = runtime;
  // A tick leaves most of its time to the messages: pruning gets a fifth of it at most.
  await housekeeping(runtime, { pruneBudgetMs: Math.min(1_000, (deadline - start) / 5) });

  const topics: Record<string, TopicTick> = {};
  for (const name of runtime.topics.names()) {
    topics[name] = { processed: 0, succeeded: 0, failed: 0, dead_lettered: 0, remaining: 0 };
  }
  let processed = 0;
  // Round-robin over every topic while any of them had work: a handler may create work for
  // another topic (a fan-out step enqueues analyses), which this same tick should then reach.
  let busy = true;
  const { signal } = options;
  while (busy && processed < maxMessages && Date.now() < deadline && !signal?.aborted) {
    busy = false;
    for (const topic of runtime.topics.all()) {
      if (processed >= maxMessages || Date.now() >= deadline || signal?.aborted) break;
      const batch = await claim(
        database,
        topic.name,
        Math.min(topic.batchSize, maxMessages - processed),
        runtime.leaseMs,
      );
      if (batch.length === 0) continue;
      busy = true;
      const report = await runBatch(runtime, topic, batch, signal);
      // Messages handed back unprocessed are no part of this tick's work (another claim takes them).
      const worked = batch.length - report.handedBack;
      processed += worked;
      const t = topics[topic.name] as TopicTick;
      t.processed += worked;
      t.succeeded += report.succeeded;
      t.failed += report.failed;
      t.dead_lettered += report.deadLettered;
      // better-sqlite3 is synchronous: give HTTP requests a turn between batches.
      await yieldToEventLoop();
    }
  }

  const now = Date.now();
  const left = await backlog(database.db, runtime.topics.names());
  let remaining = 0;
  for (const [name, entry] of left) {
    const t = topics[name];
    if (!t) continue; // messages of a topic this build no longer has are not ours to wait for
    t.remaining = entry.pending + entry.running;
    remaining += t.remaining;
  }
  const sum = (field: keyof TopicTick) => Object.values(topics).reduce((s, t) => s + t[field], 0);
  return {
    processed,
    succeeded: sum("succeeded"),
    failed: sum("failed"),
    dead_lettered: sum("dead_lettered"),
    remaining,
    next_due_in_ms: nextDueInMs(
      [...left].filter(([name]) => name in topics).map(([, entry]) => entry),
      now,
    ),
    duration_ms: now - start,
    topics,
  };
}
