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

/** Runs `fn` in one write transaction (BEGIN IMMEDIATE on SQLite). */
export function transaction<T>(database: Database, fn: (trx: Executor) => Promise<T>): Promise<T> {
  return database.db.transaction().execute(fn);
}
