import { Worker } from "node:worker_threads";
import { workerSource } from "../worker-source.js";
import type { ReadReply, ReadRequest } from "./sqlite-read-thread.js";

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve(rows: unknown[]): void; reject(err: Error): void }>;
}

/** Read threads per process: a long read occupies one, the other keeps serving short ones. */
const THREADS = 2;

function asError(error: { message: string; code?: string }): Error {
  return Object.assign(new Error(error.message), error.code === undefined ? {} : { code: error.code });
}

/**
 * The process's SQLite read threads, shared by every database it opens.
 * better-sqlite3 runs a statement synchronously on the calling thread, so a
 * read of seconds (a label distribution, a filtered list, a statistics query
 * over a million rows) stopped every request and runner for its length. Reads
 * outside transactions run here instead. Threads start on first use, keep
 * the process alive only while they have work, and a thread that dies fails
 * its reads (answered 503) and is replaced.
 */
class SqliteReaders {
  readonly #threads: Thread[] = [];
  #nextId = 0;

  read(path: string, sql: string, parameters: readonly unknown[]): Promise<unknown[]> {
    return this.#send(this.#leastBusy(), { id: this.#nextId++, path, sql, parameters: [...parameters] });
  }

  /** Closes every thread's connection to `path` (the database is being closed). */
  async close(path: string): Promise<void> {
    await Promise.all(this.#threads.map((t) => this.#send(t, { id: this.#nextId++, path, close: true })));
  }

  #send(thread: Thread, request: ReadRequest): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(request.id, { resolve, reject });
      thread.worker.postMessage(request);
    });
  }

  #leastBusy(): Thread {
    if (this.#threads.length < THREADS) return this.#start();
    return this.#threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  #start(): Thread {
    const worker = new Worker(workerSource(import.meta.url, "./sqlite-read-thread"), { eval: true });
    const thread: Thread = { worker, pending: new Map() };
    worker.on("message", (reply: ReadReply) => {
      const waiting = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) worker.unref();
      if ("error" in reply) waiting?.reject(asError(reply.error));
      else waiting?.resolve(reply.rows);
    });
    const fail = (err: Error) => {
      const index = this.#threads.indexOf(thread);
      if (index >= 0) this.#threads.splice(index, 1);
      // Answered as the database being unavailable (503, retry): the next read starts a new thread.
      const unavailable = Object.assign(err, { code: "SQLITE_CANTOPEN" });
      for (const { reject } of thread.pending.values()) reject(unavailable);
      thread.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`SQLite read thread exited (code ${code})`)));
    worker.unref();
    this.#threads.push(thread);
    return thread;
  }
}

let shared: SqliteReaders | undefined;

export function sqliteReaders(): SqliteReaders {
  shared ??= new SqliteReaders();
  return shared;
}
