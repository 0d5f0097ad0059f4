import { Worker } from "node:worker_threads";
import type { EvalReport } from "../classifier/index.js";
import { AppError } from "../errors.js";
import { workerSource } from "../worker-source.js";
import type { EvaluationJob, Evaluator } from "./evaluation-job.js";
import type { ThreadReply } from "./evaluation-thread.js";

export interface EvaluationLimits {
  /** Evaluations computing at once; each takes a core for as long as it runs. */
  running: number;
  /** Evaluations waiting for a turn; beyond them a request is refused (`evaluation_unavailable`). */
  queued: number;
  /** How long one may compute before its thread is terminated (`evaluation_too_long`). */
  timeoutMs: number;
}

/**
 * One at a time: on the 2-core machine a second would take the core the
 * event loop and the runners need. A 9,000-example, 10-fold cross-validation
 * computes for about 45 s, so 5 minutes is far beyond any sane request.
 */
export const DEFAULT_LIMITS: EvaluationLimits = { running: 1, queued: 4, timeoutMs: 5 * 60_000 };

interface Waiter {
  start(): void;
  fail(err: Error): void;
}

/**
 * Runs evaluations in worker threads, so that training folds and scoring
 * thousands of examples never block the event loop (health checks, other
 * requests, the runners). Each job gets a fresh thread, terminated when it
 * is done, times out, its caller gives up, or the server stops: terminating
 * is the only way to stop a synchronous computation, and a thread's start
 * (tens of ms) is nothing next to an evaluation's seconds.
 */
export class EvaluationThreads {
  readonly limits: EvaluationLimits;
  #running = 0;
  readonly #queue: Waiter[] = [];
  /** The threads computing now, each with how to fail its job. */
  readonly #threads = new Map<Worker, (err: Error) => void>();
  #closed = false;

  constructor(limits: Partial<EvaluationLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** An Evaluator: waits for a turn (or is refused), then runs the job in a thread. */
  readonly evaluate: Evaluator = async (job, signal) => {
    await this.#turn(signal);
    try {
      return await this.#run(job, signal);
    } finally {
      this.#running--;
      this.#queue.shift()?.start();
    }
  };

  /** Refuses what waits and stops what computes; later jobs are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    const stopping = new AppError(
      "evaluation_unavailable",
      "The server is stopping; the evaluation was not finished. Retry once it is back.",
    );
    for (const waiter of this.#queue.splice(0)) waiter.fail(stopping);
    const threads = [...this.#threads];
    this.#threads.clear();
    for (const [, fail] of threads) fail(stopping);
    await Promise.all(threads.map(([worker]) => worker.terminate()));
  }

  #turn(signal: AbortSignal | undefined): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new AppError("evaluation_unavailable", "The server is stopping; retry shortly."));
    }
    if (this.#running < this.limits.running) {
      this.#running++;
      return Promise.resolve();
    }
    if (this.#queue.length >= this.limits.queued) {
      return Promise.reject(
        new AppError(
          "evaluation_unavailable",
          `${this.limits.running} evaluation${this.limits.running === 1 ? " is" : "s are"} running and ${this.#queue.length} waiting, as many as this server takes; retry in a minute.`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener("abort", onAbort);
          this.#running++;
          resolve();
        },
        fail: (err) => {
          signal?.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      // A caller that gives up while waiting leaves the queue, so it does not hold a place.
      const onAbort = () => {
        this.#queue.splice(this.#queue.indexOf(waiter), 1);
        reject(aborted());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  #run(job: EvaluationJob, signal: AbortSignal | undefined): Promise<EvalReport> {
    if (signal?.aborted) return Promise.reject(aborted());
    return new Promise((resolve, reject) => {
      const worker = new Worker(workerSource(import.meta.url, "./evaluation-thread"), { eval: true });
      let settled = false;
      const settle = (outcome: { report: EvalReport } | { error: Error }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#threads.delete(worker);
        void worker.terminate();
        if ("report" in outcome) resolve(outcome.report);
        else reject(outcome.error);
      };
      const fail = (error: Error) => settle({ error });
      const timer = setTimeout(() => {
        const minutes = this.limits.timeoutMs / 60_000;
        const limit =
          minutes >= 1 ? `${minutes} minute${minutes === 1 ? "" : "s"}` : `${this.limits.timeoutMs} ms`;
        fail(
          new AppError(
            "evaluation_too_long",
            `The evaluation took longer than ${limit} and was stopped: evaluate fewer examples or fewer folds, ` +
              "or run `relabel eval`, which has no time limit.",
          ),
        );
      }, this.limits.timeoutMs);
      const onAbort = () => fail(aborted());
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#threads.set(worker, fail);
      worker.on("message", (reply: ThreadReply) =>
        settle("report" in reply ? reply : { error: new Error(`evaluation thread: ${reply.error}`) }),
      );
      worker.on("error", fail);
      worker.on("exit", (code) =>
        fail(new Error(`evaluation thread exited (code ${code}) without a report`)),
      );
      worker.postMessage(job);
    });
  }
}

function aborted(): AppError {
  return new AppError("evaluation_unavailable", "The client went away; the evaluation was stopped.");
}
