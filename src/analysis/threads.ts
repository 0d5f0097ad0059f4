import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { type StoredItem, toAnalyzable } from "./item.js";
import { analyze, type LabelAssignment } from "./rules.js";
import type { CompiledTaxonomy } from "./taxonomy.js";
import type { ThreadReply, ThreadRequest } from "./thread.js";

/**
 * Batches below this size are analyzed inline: for them a round trip to a
 * thread (copying the items there and the labels back) costs more than it
 * frees, and live work (one item at a time) keeps its latency.
 */
export const THREAD_MIN_BATCH = 64;

interface Thread {
  worker: Worker;
  /** The taxonomy version last sent; another one is sent with the next request that needs it. */
  version?: number;
  pending: Map<number, { resolve(results: LabelAssignment[][]): void; reject(err: Error): void }>;
}

/**
 * Rules analysis of big batches in worker threads. The runner's own thread
 * then spends its time on the database: on SQLite, where one thread does all
 * the writing, it commits one batch while a thread analyzes the next
 * (parsing an item's messages and running the rules is about a quarter of a
 * bulk re-label's CPU). Threads start on first use and keep the process
 * alive only while they have work; a thread that dies fails its requests (their batch is retried)
 * and is replaced on the next one.
 */
export class AnalysisThreads {
  readonly size: number;
  readonly #threads: Thread[] = [];
  #nextId = 0;

  constructor(size: number) {
    this.size = size;
  }

  /** Rule assignments per item, in order. */
  async analyze(items: StoredItem[], taxonomy: CompiledTaxonomy): Promise<LabelAssignment[][]> {
    if (this.size === 0 || items.length < THREAD_MIN_BATCH) {
      return items.map((item) => analyze(toAnalyzable(item), taxonomy));
    }
    const thread = this.#leastBusy();
    const id = this.#nextId++;
    const request: ThreadRequest = { id, version: taxonomy.version, items };
    if (thread.version !== taxonomy.version) request.input = taxonomy.input;
    thread.version = taxonomy.version;
    return new Promise((resolve, reject) => {
      // Referenced only while it has work: an idle thread never keeps the process alive.
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    const threads = this.#threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  #leastBusy(): Thread {
    if (this.#threads.length < this.size) return this.#start();
    return this.#threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  #start(): Thread {
    const worker = new Worker(workerSource(), { eval: true });
    const thread: Thread = { worker, pending: new Map() };
    worker.on("message", (reply: ThreadReply) => {
      const waiting = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) worker.unref();
      if ("error" in reply) waiting?.reject(new Error(reply.error));
      else waiting?.resolve(reply.results);
    });
    const fail = (err: Error) => {
      this.#threads.splice(this.#threads.indexOf(thread), 1);
      for (const { reject } of thread.pending.values()) reject(err);
      thread.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => {
      if (this.#threads.includes(thread)) fail(new Error(`analysis thread exited (code ${code})`));
    });
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
    this.#threads.push(thread);
    return thread;
  }
}

/** The thread's module; from TypeScript sources (tests, benchmarks under tsx) with tsx's loader registered first. */
function workerSource(): string {
  const url = new URL(import.meta.url.endsWith(".ts") ? "./thread.ts" : "./thread.js", import.meta.url).href;
  if (!url.endsWith(".ts")) return `import(${JSON.stringify(url)});`;
  const tsx = import.meta.resolve("tsx/esm/api");
  return `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
}

/** Threads by default: one core stays with the runners' own thread. */
export function defaultThreadCount(): number {
  return Math.min(4, Math.max(0, availableParallelism() - 1));
}

let shared: AnalysisThreads | undefined;

/** The process's analysis threads, shared by every analysis topic. */
export function analysisThreads(): AnalysisThreads {
  shared ??= new AnalysisThreads(defaultThreadCount());
  return shared;
}

/** Sets the number of analysis threads (`RELABEL_ANALYSIS_THREADS`); 0 analyzes inline. */
export function configureAnalysisThreads(size: number): void {
  if (shared?.size === size) return;
  void shared?.close();
  shared = new AnalysisThreads(size);
}
