import type BetterSqlite3 from "better-sqlite3";
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SelectQueryNode,
} from "kysely";
import { AppError } from "../errors.js";

/** How long a writer waits for another process's write lock before giving up (503 `database_busy`). */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/**
 * better-sqlite3 waits for a lock held by another process inside SQLite's
 * busy handler, which sleeps on the calling thread: the whole event loop
 * stopped (a `/healthz` took 19 s while another process held the write lock
 * 20 s). So every connection here has a busy timeout of 0, and a busy lock is
 * waited for here, asynchronously, with a growing pause between tries: the
 * server keeps answering while one of its writers waits.
 */
async function withBusyRetry<T>(run: () => T, deadline = Date.now() + SQLITE_BUSY_TIMEOUT_MS): Promise<T> {
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    try {
      return run();
    } catch (err) {
      // Extended codes too (SQLITE_BUSY_SNAPSHOT, _RECOVERY …), as SQLite's own busy handler retries them.
      const busy = String((err as { code?: unknown }).code ?? "").startsWith("SQLITE_BUSY");
      if (!busy) throw err;
      if (Date.now() >= deadline) throw new AppError("database_busy");
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** How long statements may run back to back before the event loop gets a turn. */
const TURN_MS = 25;

/** Waiters for the process's one write connection, first come first served. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();

  /** Resolves, once it is this caller's turn, to the function that hands the turn on. */
  lock(): Promise<() => void> {
    let unlock!: () => void;
    const turn = new Promise<void>((resolve) => {
      unlock = resolve;
    });
    const ready = this.#tail.then(() => unlock);
    this.#tail = this.#tail.then(() => turn);
    return ready;
  }
}

/** A statement that only reads can run on the read connection, outside any transaction. */
function isRead(query: CompiledQuery): boolean {
  return SelectQueryNode.is(query.query) || /^\s*(select|with)\b/i.test(query.sql);
}

function run(raw: Prepare, query: CompiledQuery): QueryResult<unknown> {
  const statement = raw.prepare(query.sql);
  const parameters = query.parameters as unknown[];
  if (statement.reader) return { rows: statement.all(parameters) };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

export interface Prepare {
  prepare(sql: string): BetterSqlite3.Statement;
}

export interface ReadThreads {
  read(sql: string, parameters: readonly unknown[]): Promise<unknown[]>;
}

/**
 * One SQLite file as Kysely sees it: reads outside a transaction go to
 * read-only connections in read threads (sqlite-readers.ts), where they never
 * wait for a writer (WAL readers see the last commit, whatever a writer holds)
 * and never hold up the event loop however long they take; transactions and
 * single writes queue in-process for the write connection and wait for other
 * processes' locks without blocking the event loop. Write transactions begin
 * IMMEDIATE: they take the write lock up front, so two processes never
 * deadlock upgrading a read lock.
 */
export class TwoConnectionSqliteDriver implements Driver {
  readonly #writer: BetterSqlite3.Database;
  readonly #writerStatements: Prepare;
  readonly #readerStatements: Prepare;
  readonly #close: () => Promise<void>;
  readonly #writes = new Mutex();
  readonly #readThreads: ReadThreads | undefined;

  constructor(options: {
    writer: BetterSqlite3.Database;
    writerStatements: Prepare;
    readerStatements: Prepare;
    /** Where reads outside transactions run, if not on `readerStatements` (see sqlite-readers.ts). */
    readThreads?: ReadThreads;
    close: () => Promise<void>;
  }) {
    this.#readThreads = options.readThreads;
    this.#writer = options.writer;
    this.#writerStatements = options.writerStatements;
    this.#readerStatements = options.readerStatements;
    this.#close = options.close;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new SqliteSession(this, false);
  }

  /**
   * The same database, but reads outside transactions run on the calling
   * thread: for the runners' hot path, whose batch reads are short and big,
   * and where copying them across threads cost a fifth of a re-label's speed
   * and 75–100 MB of memory. Transactions share this driver's write
   * connection and its queue.
   */
  withInlineReads(): Driver {
    return {
      init: async () => {},
      acquireConnection: async () => new SqliteSession(this, true),
      beginTransaction: (connection) => this.beginTransaction(connection),
      commitTransaction: (connection) => this.commitTransaction(connection),
      rollbackTransaction: (connection) => this.rollbackTransaction(connection),
      releaseConnection: async () => {},
      destroy: async () => {},
    };
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const session = connection as SqliteSession;
    session.unlock = await this.#writes.lock();
    session.lastTurn = performance.now();
    try {
      await withBusyRetry(() => this.#writer.exec("begin immediate"));
    } catch (err) {
      session.release();
      throw err;
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const session = connection as SqliteSession;
    try {
      await withBusyRetry(() => this.#writer.exec("commit"));
    } catch (err) {
      // A commit that failed leaves the transaction open: roll it back before the next writer's turn.
      if (this.#writer.inTransaction) this.#writer.exec("rollback");
      throw err;
    } finally {
      session.release();
    }
  }

  /**
   * After some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM …) SQLite has
   * already rolled the transaction back; a ROLLBACK then fails with "no
   * transaction is active" and would hide the error that matters.
   */
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const session = connection as SqliteSession;
    // After a failed commit the write connection is already someone else's turn: never roll theirs back.
    if (session.unlock === undefined) return;
    try {
      if (this.#writer.inTransaction) this.#writer.exec("rollback");
    } finally {
      session.release();
    }
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    await this.#close();
  }

  /**
   * Runs `query` in the session's transaction, on the reader, or as a write
   * of its own. Statements run synchronously, and awaiting one only queues a
   * microtask: a transaction of many big statements (a 2,000-item batch's
   * labels and runs) would keep the event loop for its whole length. So once
   * a transaction's statements have run for a while, the next one first lets
   * timers and I/O have a turn (reads on the other connection go on meanwhile).
   */
  async execute(session: SqliteSession, query: CompiledQuery): Promise<QueryResult<unknown>> {
    if (session.unlock !== undefined) {
      if (performance.now() - session.lastTurn >= TURN_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        session.lastTurn = performance.now();
        // Ended meanwhile (rolled back): the statement must not run outside its transaction.
        if (session.unlock === undefined) throw new Error("the transaction ended before this statement ran");
      }
      return run(this.#writerStatements, query);
    }
    if (isRead(query)) {
      if (this.#readThreads !== undefined && !session.inlineReads)
        return { rows: await this.#readThreads.read(query.sql, query.parameters) };
      return withBusyRetry(() => run(this.#readerStatements, query));
    }
    const unlock = await this.#writes.lock();
    try {
      return await withBusyRetry(() => run(this.#writerStatements, query));
    } finally {
      unlock();
    }
  }
}

/** What Kysely holds as "the connection": a handle that knows whether it is inside a transaction. */
class SqliteSession implements DatabaseConnection {
  readonly #driver: TwoConnectionSqliteDriver;
  /** Set while this session holds the write connection (inside a transaction). */
  unlock: (() => void) | undefined;
  /** When the event loop last had a turn during this transaction. */
  lastTurn = 0;

  /** Reads outside transactions run on the calling thread (see `withInlineReads`). */
  readonly inlineReads: boolean;

  constructor(driver: TwoConnectionSqliteDriver, inlineReads: boolean) {
    this.inlineReads = inlineReads;
    this.#driver = driver;
  }

  release(): void {
    const unlock = this.unlock;
    this.unlock = undefined;
    unlock?.();
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.#driver.execute(this, query) as Promise<QueryResult<R>>;
  }

  // biome-ignore lint/correctness/useYield: relabel never streams from SQLite
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("streaming is not supported on SQLite here");
  }
}
