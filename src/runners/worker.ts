import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { claim } from "../pubsub/queue.js";
import { housekeeping } from "./housekeeping.js";
import { runBatch } from "./run-batch.js";
import type { Runtime } from "./runtime.js";

export interface RunnerPoolOptions {
  /** Concurrent runner loops in this process. */
  concurrency: number;
  /** Longest an idle runner sleeps before looking again (wake-ups usually come sooner). */
  pollMs?: number;
}

const DEFAULT_POLL_MS = 1_000;
const ERROR_BACKOFF_MS = { min: 100, max: 10_000 };

/**
 * Continuous runners: each loop claims a batch from every topic in turn,
 * processes it, and sleeps when nothing is due until a wake-up or the poll
 * interval. Any number of processes may run pools on one database; claims
 * never hand a message to two runners.
 */
export class RunnerPool {
  readonly #runtime: Runtime;
  readonly #concurrency: number;
  readonly #pollMs: number;
  readonly #sleepers = new Set<() => void>();
  /** A wake-up that came while no loop slept: the next loop about to sleep looks again instead. */
  #missedWake = false;
  #loops: Promise<void>[] = [];
  #stopping = false;
  #maintenance?: NodeJS.Timeout;
  #maintaining = false;
  #unsubscribe?: () => void;

  constructor(runtime: Runtime, options: RunnerPoolOptions) {
    this.#runtime = runtime;
    this.#concurrency = options.concurrency;
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  }

  start(): void {
    if (this.#concurrency === 0) return;
    // One loop per wake-up: waking them all sent every loop to claim, and all but one found nothing
    // (a message's latency at light load was 3× what it is now). A loop that claims a full batch
    // wakes the next, so a backlog still gets every loop.
    this.#unsubscribe = this.#runtime.wakeups.subscribe(() => this.#wakeOne());
    // Housekeeping (lease recovery first of all) every quarter of the lease, and once at start
    // (a replacement for a crashed worker recovers its batch at once): a dead runner's messages
    // are back within about 1.25 leases.
    const interval = Math.max(Math.floor(this.#runtime.leaseMs / 4), 100);
    void this.#maintain(interval / 2);
    this.#maintenance = setInterval(() => void this.#maintain(interval / 2), interval);
    this.#maintenance.unref();
    this.#loops = Array.from({ length: this.#concurrency }, () => this.#loop());
  }

  /** Stops claiming, lets every claimed batch finish (acked or failed), then resolves. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#maintenance);
    this.#unsubscribe?.();
    this.#wakeAll();
    await Promise.all(this.#loops);
  }

  /**
   * One pass at a time: pruning may take up to half the interval (so it keeps
   * up with the fastest runners), and a pass still going when the next is due
   * is not doubled.
   */
  async #maintain(pruneBudgetMs: number): Promise<void> {
    if (this.#maintaining) return;
    this.#maintaining = true;
    try {
      await housekeeping(this.#runtime, { pruneBudgetMs });
    } catch (err) {
      this.#runtime.logger.warn({ err: (err as Error).message }, "housekeeping failed; will retry");
    } finally {
      this.#maintaining = false;
    }
  }

  async #loop(): Promise<void> {
    let errorDelay = ERROR_BACKOFF_MS.min;
    while (!this.#stopping) {
      try {
        const worked = await this.#pass();
        errorDelay = ERROR_BACKOFF_MS.min;
        if (!worked) await this.#sleep(this.#pollMs);
      } catch (err) {
        // The database went away or refused: never crash, back off and try again.
        this.#runtime.logger.warn(
          { err: (err as Error).message, retry_ms: errorDelay },
          "runner pass failed",
        );
        await this.#sleep(errorDelay);
        errorDelay = Math.min(errorDelay * 2, ERROR_BACKOFF_MS.max);
      }
    }
  }

  /** One claim from every topic; true if any had work. */
  async #pass(): Promise<boolean> {
    let worked = false;
    for (const topic of this.#runtime.topics.all()) {
      if (this.#stopping) break;
      const batch = await claim(this.#runtime.database, topic.name, topic.batchSize, this.#runtime.leaseMs);
      if (batch.length === 0) continue;
      if (batch.length === topic.batchSize) this.#wakeOne();
      worked = true;
      await runBatch(this.#runtime, topic, batch);
      // better-sqlite3 is synchronous: let HTTP requests in between batches.
      await yieldToEventLoop();
    }
    return worked;
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    if (this.#missedWake) {
      this.#missedWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#sleepers.add(done);
    });
  }

  #wakeOne(): void {
    const first = this.#sleepers.values().next();
    if (first.done) this.#missedWake = true;
    else first.value();
  }

  #wakeAll(): void {
    for (const wake of [...this.#sleepers]) wake();
  }
}
