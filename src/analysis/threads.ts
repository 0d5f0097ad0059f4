import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { workerSource } from "../worker-source.js";
import { type AnalysisSetup, DecodedModels, labelItems } from "./label-items.js";
import type { AnalyzableItem, LabelAssignment } from "./rules.js";
import type { ThreadReply, ThreadRequest } from "./thread.js";

/**
 * Batches with less text than this are labeled on the calling thread: they
 * take a few milliseconds, less than the round trip to a thread, and live
 * work (one item at a time) keeps its latency.
 */
export const INLINE_MAX_TEXT = 64_000;

interface Thread {
  worker: Worker;
  /** The versions last sent; another is sent with the next request that needs it. */
  taxonomyVersion?: number;
  modelVersion?: number;
  pending: Map<number, { resolve(results: LabelAssignment[][]): void; reject(err: Error): void }>;
}

function textLength(item: AnalyzableItem): number {
  if (item.kind === "note") return item.text.length;
  return item.messages.reduce((n, m) => n + m.text.length, item.subject.length);
}

/**
 * Analysis of big batches in worker threads, so the thread that serves HTTP
 * and runs the runners is never busy for long: a batch of 2,000 items takes
 * ~0.2 s of CPU, and one 950k-character item with 20 large patterns 2.7 s,
 * during which `/healthz` would not answer, nor a lease be extended (and a
 * batch whose lease expired is done again elsewhere). Threads start on first
 * use and keep the process alive only while they have work; a thread that
 * dies fails its requests (their batch is retried) and is replaced.
 */
export class AnalysisThreads {
  readonly size: number;
  readonly #threads: Thread[] = [];
  readonly #inlineModels = new DecodedModels();
  #nextId = 0;

  constructor(size: number) {
    this.size = size;
  }

  /** The labels of each item, in order. */
  async label(items: AnalyzableItem[], setup: AnalysisSetup): Promise<LabelAssignment[][]> {
    const text = items.reduce((n, item) => n + textLength(item), 0);
    if (this.size === 0 || text <= INLINE_MAX_TEXT) {
      return labelItems(items, setup.taxonomy, this.#inlineModels.get(setup.model));
    }
    const thread = this.#leastBusy();
    const request: ThreadRequest = { id: this.#nextId++, taxonomyVersion: setup.taxonomy.version, items };
    if (thread.taxonomyVersion !== setup.taxonomy.version) request.taxonomy = setup.taxonomy.input;
    thread.taxonomyVersion = setup.taxonomy.version;
    if (setup.model !== undefined) {
      request.modelVersion = setup.model.version;
      if (thread.modelVersion !== setup.model.version) request.model = setup.model;
      thread.modelVersion = setup.model.version;
    }
    return new Promise((resolve, reject) => {
      // Referenced only while it has work: an idle thread never keeps the process alive.
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(request.id, { resolve, reject });
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
    const worker = new Worker(workerSource(import.meta.url, "./thread"), { eval: true });
    const thread: Thread = { worker, pending: new Map() };
    worker.on("message", (reply: ThreadReply) => {
      const waiting = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) worker.unref();
      if ("error" in reply) waiting?.reject(new Error(reply.error));
      else waiting?.resolve(reply.results);
    });
    const fail = (err: Error) => {
      const index = this.#threads.indexOf(thread);
      if (index >= 0) this.#threads.splice(index, 1);
      for (const { reject } of thread.pending.values()) reject(err);
      thread.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`analysis thread exited (code ${code})`)));
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
    this.#threads.push(thread);
    return thread;
  }
}

let shared: AnalysisThreads | undefined;

/** The process's analysis threads, shared by every analysis topic: one core stays with the main thread. */
export function analysisThreads(): AnalysisThreads {
  shared ??= new AnalysisThreads(Math.min(4, Math.max(1, availableParallelism() - 1)));
  return shared;
}
