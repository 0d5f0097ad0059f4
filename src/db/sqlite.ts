import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { type Driver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from "kysely";
import type { Database } from "./database.js";
import type { Schema } from "./schema.js";
import { type Prepare, SQLITE_BUSY_TIMEOUT_MS, TwoConnectionSqliteDriver } from "./sqlite-driver.js";
import { sqliteReaders } from "./sqlite-readers.js";

/** Prepared statements kept per SQL text, least recently used dropped first. */
const STATEMENT_CACHE_SIZE = 256;
/**
 * Longer statements are not kept: a batch's statements list up to thousands
 * of parameters, differ from batch to batch in how many, and each holds
 * hundreds of KB of compiled program. Kept, they took a million-item
 * re-label's peak RSS from 214 to 322 MB, for 5 % of its time.
 */
const MAX_CACHED_SQL_LENGTH = 2_000;

/**
 * A connection's short prepared statements, kept: Kysely prepares every query
 * anew, and parsing and planning cost a share of every small request. The
 * same SQL text gets the same statement back; better-sqlite3 statements are
 * reusable, and nothing here streams, so none is ever in use twice at once.
 */
function withStatementCache(raw: BetterSqlite3.Database): Prepare {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sql) {
      if (sql.length > MAX_CACHED_SQL_LENGTH) return raw.prepare(sql);
      let statement = statements.get(sql);
      if (statement) statements.delete(sql);
      else statement = raw.prepare(sql);
      statements.set(sql, statement);
      if (statements.size > STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value as string);
      return statement;
    },
  };
}

function connect(path: string): BetterSqlite3.Database {
  // Opening may wait for another process that is creating the file or switching it to WAL:
  // that happens once, at start, before anything is served.
  const raw = new BetterSqlite3(path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  raw.pragma("journal_mode = WAL");
  raw.pragma("synchronous = FULL");
  raw.pragma("foreign_keys = ON");
  // 32 MiB of page cache instead of SQLite's 2 MiB: bulk re-labeling walks big indexes.
  raw.pragma("cache_size = -32768");
  // From now on no busy timeout: SQLite's busy handler would sleep on the event loop's
  // thread; the driver waits for locks asynchronously instead (see sqlite-driver.ts).
  raw.pragma("busy_timeout = 0");
  return raw;
}

export function openSqlite(path: string): Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const writer = connect(path);
  // Checkpoint every ~40 MiB of WAL instead of 4 MiB: a page a bulk job dirties in
  // many commits (index pages, mostly) is copied into the database once per
  // checkpoint, not once per 4 MiB. Measured: commit time of a 100k re-label 2.6 → 1.1 s.
  writer.pragma("wal_autocheckpoint = 10000");
  const writerStatements = withStatementCache(writer);
  // An in-memory database is private to its connection: there, reads share the writer.
  const inMemory = path === ":memory:";
  // Inline reads (the runners') on a read-only connection of their own: never inside another's transaction.
  const reader = inMemory ? writer : connect(path);
  if (reader !== writer) reader.pragma("query_only = ON");
  const readers = sqliteReaders();
  const driver = new TwoConnectionSqliteDriver({
    writer,
    writerStatements,
    readerStatements: reader === writer ? writerStatements : withStatementCache(reader),
    readThreads: inMemory ? undefined : { read: (sql, parameters) => readers.read(path, sql, parameters) },
    close: async () => {
      if (!inMemory) await readers.close(path);
      reader.close();
      if (reader !== writer) writer.close();
    },
  });
  const kysely = (of: Driver) =>
    new Kysely<Schema>({
      dialect: {
        createAdapter: () => new SqliteAdapter(),
        createDriver: () => of,
        createIntrospector: (k) => new SqliteIntrospector(k),
        createQueryCompiler: () => new SqliteQueryCompiler(),
      },
    });
  const db = kysely(driver);
  return {
    dialect: "sqlite",
    db,
    description: `sqlite:${path}`,
    // better-sqlite3's prepare() takes one statement; exec() runs a script on the write
    // connection, where the migration's transaction is.
    execScript: async (_executor, script) => {
      writer.exec(script);
    },
    inlineReads: kysely(driver.withInlineReads()),
    close: () => db.destroy(),
  };
}
