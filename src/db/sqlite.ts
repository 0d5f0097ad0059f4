import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { CompiledQuery, type DatabaseConnection, Kysely, SqliteDialect, SqliteDriver } from "kysely";
import type { Database } from "./database.js";
import type { Schema } from "./schema.js";

/** How long a writer waits for another process's write lock before giving up. */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/**
 * Write transactions start with BEGIN IMMEDIATE: they take the write lock up
 * front, so two processes never deadlock upgrading a read lock (SQLITE_BUSY
 * that no busy timeout can resolve), and the busy timeout applies instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  readonly #raw: BetterSqlite3.Database;
  constructor(config: ConstructorParameters<typeof SqliteDriver>[0], raw: BetterSqlite3.Database) {
    super(config);
    this.#raw = raw;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }

  /**
   * After some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM …) SQLite has
   * already rolled the transaction back; a ROLLBACK then fails with "no
   * transaction is active" and would hide the error that matters.
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.#raw.inTransaction) await super.rollbackTransaction(connection);
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #raw: BetterSqlite3.Database;
  constructor(raw: BetterSqlite3.Database) {
    super({ database: raw });
    this.#raw = raw;
  }
  override createDriver() {
    return new ImmediateSqliteDriver({ database: this.#raw }, this.#raw);
  }
}

export function openSqlite(path: string): Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const raw = new BetterSqlite3(path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  raw.pragma("journal_mode = WAL");
  raw.pragma("synchronous = FULL");
  raw.pragma("foreign_keys = ON");
  // 32 MiB of page cache instead of SQLite's 2 MiB: bulk re-labeling walks big indexes.
  raw.pragma("cache_size = -32768");
  const db = new Kysely<Schema>({ dialect: new ImmediateSqliteDialect(raw) });
  return {
    dialect: "sqlite",
    db,
    description: `sqlite:${path}`,
    // better-sqlite3's prepare() takes one statement; exec() runs a script on the same connection.
    execScript: async (_executor, script) => {
      raw.exec(script);
    },
    close: () => db.destroy(),
  };
}
