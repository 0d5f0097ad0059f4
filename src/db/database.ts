import type { Kysely } from "kysely";
import type pg from "pg";
import type { Logger } from "pino";
import type { DatabaseTarget } from "../config.js";
import { openPostgres } from "./postgres.js";
import type { Schema } from "./schema.js";
import { openSqlite } from "./sqlite.js";

/** A Kysely handle or a transaction on it: every write takes one, so callers can share a commit. */
export type Executor = Kysely<Schema>;

/** The small contract each backend fulfils; everything else is Kysely queries shared by both. */
export interface Database {
  dialect: "sqlite" | "postgres";
  db: Kysely<Schema>;
  /**
   * SQLite: the same database, its reads outside transactions run on the
   * calling thread rather than a read thread (the runners' short, big batch
   * reads). Absent on PostgreSQL, whose reads never block the event loop.
   */
  inlineReads?: Kysely<Schema>;
  /** Where the data lives, safe to log (no password). */
  description: string;
  /** Runs a multi-statement SQL script (migrations) on `executor`'s connection. */
  execScript(executor: Executor, script: string): Promise<void>;
  close(): Promise<void>;
  pool?: pg.Pool;
  /** PostgreSQL only: for connections outside the pool (the wake-up listener). */
  connectionString?: string;
}

export function openDatabase(target: DatabaseTarget, logger?: Logger): Database {
  return target.kind === "sqlite" ? openSqlite(target.path) : openPostgres(target.url, logger);
}

/**
 * PostgreSQL's "try again" answers: a serialization failure, a deadlock (two
 * transactions locking the same rows in another order), and a unique key that
 * a concurrent transaction took between this one's read and its insert. Each
 * is about timing, not the request: the transaction runs again from the start
 * and sees the other's commit. (SQLite transactions are serialized by the
 * write lock and never see these.)
 */
const RETRYABLE_SQLSTATES = new Set(["40001", "40P01", "23505"]);
const MAX_ATTEMPTS = 5;

function isRetryable(database: Database, err: unknown): boolean {
  return database.dialect === "postgres" && RETRYABLE_SQLSTATES.has((err as { code?: string }).code ?? "");
}

/**
 * Runs `fn` in one write transaction (BEGIN IMMEDIATE on SQLite), again from
 * the start if PostgreSQL answers that a concurrent transaction got in its
 * way: `fn` must keep its effects inside `trx` (anything it returns is
 * computed anew on each attempt).
 */
export async function transaction<T>(database: Database, fn: (trx: Executor) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await database.db.transaction().execute(fn);
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS || !isRetryable(database, err)) throw err;
      // A short random pause, so two transactions that collided do not collide again in step.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }
}
