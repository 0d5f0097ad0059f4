import { ThreadPool } from "../thread-pool.js";
import type { ReadRequest } from "./sqlite-read-thread.js";

/** Read threads per process: a long read occupies one, the other keeps serving short ones. */
const THREADS = 2;

/**
 * The process's SQLite read threads, shared by every database it opens.
 * better-sqlite3 runs a statement synchronously on the calling thread, so a
 * read of seconds (a label distribution, a filtered list, a statistics query
 * over a million rows) stopped every request and runner for its length. Reads
 * outside transactions run here instead. A thread that dies fails its reads,
 * answered as the database being unavailable (503, retry); the next read
 * starts a new one.
 */
class SqliteReaders {
  readonly #pool = new ThreadPool<ReadRequest, unknown[]>({
    callerUrl: import.meta.url,
    module: "./sqlite-read-thread",
    size: THREADS,
    initialState: () => ({}),
    onDeath: (err) => Object.assign(err, { code: "SQLITE_CANTOPEN" }),
  });

  read(path: string, sql: string, parameters: readonly unknown[]): Promise<unknown[]> {
    return this.#pool.send((_, id) => ({ id, path, sql, parameters: [...parameters] }));
  }

  /** Closes every thread's connection to `path` (the database is being closed). */
  close(path: string): Promise<void> {
    return this.#pool.broadcast((id) => ({ id, path, close: true }));
  }
}

let shared: SqliteReaders | undefined;

export function sqliteReaders(): SqliteReaders {
  shared ??= new SqliteReaders();
  return shared;
}
