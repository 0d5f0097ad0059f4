import { availableParallelism } from "node:os";
import { ThreadPool } from "../thread-pool.js";
import { type StoredItem, storedLength } from "./item.js";
import { type AnalysisSetup, DecodedModels, labelItems } from "./label-items.js";
import type { LabelAssignment } from "./rules.js";
import type { ThreadRequest } from "./thread.js";

/**
 * Items with more text than this go to a worker thread; the others are
 * labeled on the calling thread, in slices. One such item takes at most a
 * few milliseconds even under a heavy taxonomy, and crossing to a thread
 * would cost more than it frees: measured on a 30,000-item re-label, all
 * batches in a thread took 30 % more CPU, 75 MB more memory and, on
 * PostgreSQL, 15 % more time.
 */
export const INLINE_MAX_ITEM_TEXT = 32_000;
/** Inline labeling yields to the event loop this often, so requests and lease renewals go on. */
const SLICE_MS = 10;

/** The versions last sent to a thread; another is sent with the next request that needs it. */
interface Sent {
  taxonomyVersion?: number;
  modelVersion?: number;
}

/**
 * Analysis that never keeps the thread that serves HTTP and runs the runners
 * busy for long: a batch of 2,000 items takes ~0.2 s of CPU, and one
 * 950k-character item with 20 large patterns 2.7 s, during which `/healthz`
 * would not answer, nor a lease be extended (and a batch whose lease expired
 * is done again elsewhere). Small items are labeled here, yielding every
 * 10 ms; big ones in worker threads. Threads start on first use (most
 * deployments never need one) and keep the process alive only while they
 * have work; a thread that dies fails its requests (their batch is retried)
 * and is replaced.
 */
export class AnalysisThreads {
  readonly size: number;
  readonly #pool: ThreadPool<ThreadRequest, LabelAssignment[][], Sent>;
  readonly #inlineModels = new DecodedModels();

  constructor(size: number) {
    this.size = size;
    this.#pool = new ThreadPool({
      callerUrl: import.meta.url,
      module: "./thread",
      size,
      initialState: () => ({}),
    });
  }

  /** The labels of each item, in order: big items in a thread, the rest here, at the same time. */
  async label(items: StoredItem[], setup: AnalysisSetup): Promise<LabelAssignment[][]> {
    const big = this.size === 0 ? [] : items.filter((item) => storedLength(item) > INLINE_MAX_ITEM_TEXT);
    const inThread = new Set(big);
    const small = big.length === 0 ? items : items.filter((item) => !inThread.has(item));
    const [bigLabels, smallLabels] = await Promise.all([
      big.length === 0 ? [] : this.#inThread(big, setup),
      this.#inSlices(small, setup),
    ]);
    let b = 0;
    let s = 0;
    return items.map((item) =>
      inThread.has(item) ? (bigLabels[b++] as LabelAssignment[]) : (smallLabels[s++] as LabelAssignment[]),
    );
  }

  async #inSlices(items: StoredItem[], setup: AnalysisSetup): Promise<LabelAssignment[][]> {
    const model = this.#inlineModels.get(setup.model);
    const labels: LabelAssignment[][] = [];
    let sliceStart = performance.now();
    for (const item of items) {
      labels.push(...labelItems([item], setup.taxonomy, model));
      if (performance.now() - sliceStart >= SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
    return labels;
  }

  #inThread(items: StoredItem[], setup: AnalysisSetup): Promise<LabelAssignment[][]> {
    return this.#pool.send((sent, id) => {
      const request: ThreadRequest = { id, taxonomyVersion: setup.taxonomy.version, items };
      if (sent.taxonomyVersion !== setup.taxonomy.version) request.taxonomy = setup.taxonomy.input;
      sent.taxonomyVersion = setup.taxonomy.version;
      if (setup.model !== undefined) {
        request.modelVersion = setup.model.version;
        if (sent.modelVersion !== setup.model.version) request.model = setup.model;
        sent.modelVersion = setup.model.version;
      }
      return request;
    });
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

let shared: AnalysisThreads | undefined;

/** The process's analysis threads, shared by every analysis topic: one core stays with the main thread. */
export function analysisThreads(): AnalysisThreads {
  shared ??= new AnalysisThreads(Math.min(4, Math.max(1, availableParallelism() - 1)));
  return shared;
}
