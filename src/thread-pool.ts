import { Worker } from "node:worker_threads";
import { workerSource } from "./worker-source.js";

/** What a pooled thread answers: the result of request `id`, or why it failed. */
export type PoolReply<Result> =
  | { id: number; result: Result }
  | { id: number; error: { message: string; code?: string } };

/** A thread of a pool, with what its owner remembers having sent it (versions, …). */
export interface PooledThread<State> {
  state: State;
  readonly worker: Worker;
  readonly pending: Map<number, { resolve(result: unknown): void; reject(err: Error): void }>;
}

export interface ThreadPoolOptions<State> {
  /** The owner's `import.meta.url`, and the thread's module next to it, without extension. */
  callerUrl: string;
  module: string;
  size: number;
  initialState: () => State;
  /** Turns a dead thread's error into what its pending requests are rejected with. */
  onDeath?: (err: Error) => Error;
}

function asError(error: { message: string; code?: string }): Error {
  return Object.assign(new Error(error.message), error.code === undefined ? {} : { code: error.code });
}

/**
 * Worker threads that answer requests by id. Threads start on first use, up
 * to `size`, and a request goes to the least busy; a thread keeps the process
 * alive only while it has work; a thread that dies fails its pending requests
 * and is replaced by the next request. The thread module answers each
 * `{id, …}` message with a `PoolReply`.
 */
export class ThreadPool<Request extends { id: number }, Result, State = object> {
  readonly #options: ThreadPoolOptions<State>;
  readonly #threads: PooledThread<State>[] = [];
  #nextId = 0;

  constructor(options: ThreadPoolOptions<State>) {
    this.#options = options;
  }

  /** Sends to the least busy thread what `build` makes, knowing that thread's state. */
  send(build: (state: State, id: number) => Request): Promise<Result> {
    const thread = this.#leastBusy();
    return this.#send(thread, build(thread.state, this.#nextId++));
  }

  /** Sends one request to every started thread. */
  async broadcast(build: (id: number) => Request): Promise<void> {
    await Promise.all(this.#threads.map((t) => this.#send(t, build(this.#nextId++))));
  }

  async close(): Promise<void> {
    const threads = this.#threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  #send(thread: PooledThread<State>, request: Request): Promise<Result> {
    return new Promise((resolve, reject) => {
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(request.id, { resolve: resolve as (r: unknown) => void, reject });
      thread.worker.postMessage(request);
    });
  }

  #leastBusy(): PooledThread<State> {
    if (this.#threads.length < this.#options.size) return this.#start();
    return this.#threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  #start(): PooledThread<State> {
    const { callerUrl, module, initialState, onDeath = (err) => err } = this.#options;
    const worker = new Worker(workerSource(callerUrl, module), { eval: true });
    const thread: PooledThread<State> = { state: initialState(), worker, pending: new Map() };
    worker.on("message", (reply: PoolReply<Result>) => {
      const waiting = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) worker.unref();
      if ("error" in reply) waiting?.reject(asError(reply.error));
      else waiting?.resolve(reply.result);
    });
    const fail = (err: Error) => {
      const index = this.#threads.indexOf(thread);
      if (index >= 0) this.#threads.splice(index, 1);
      const reason = onDeath(err);
      for (const { reject } of thread.pending.values()) reject(reason);
      thread.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`${module} thread exited (code ${code})`)));
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
    this.#threads.push(thread);
    return thread;
  }
}

/** Runs `handle` for each request a pooled thread receives, and answers as the pool expects. */
export function answerRequests<Request extends { id: number }, Result>(
  port: {
    on(event: "message", listener: (request: Request) => void): unknown;
    postMessage(value: unknown): void;
  },
  handle: (request: Request) => Result,
): void {
  port.on("message", (request) => {
    let reply: PoolReply<Result>;
    try {
      reply = { id: request.id, result: handle(request) };
    } catch (err) {
      const { message, code } = err as { message: string; code?: string };
      reply = {
        id: request.id,
        error: { message: String(message), code: typeof code === "string" ? code : undefined },
      };
    }
    port.postMessage(reply);
  });
}
