/**
 * A SQLite read thread (see sqlite-readers.ts): runs read statements on its
 * own read-only connections, one per database file, so a long read (a label
 * distribution over a million rows takes seconds) runs beside the event loop,
 * not on it. Here blocking is harmless: SQLite's own busy wait is used.
 */
import { parentPort } from "node:worker_threads";
import BetterSqlite3 from "better-sqlite3";
import { answerRequests } from "../thread-pool.js";

export type ReadRequest =
  | { id: number; path: string; sql: string; parameters: unknown[] }
  | { id: number; path: string; close: true };

const BUSY_TIMEOUT_MS = 10_000;
const STATEMENTS_PER_CONNECTION = 128;
const MAX_CACHED_SQL_LENGTH = 2_000;

interface Connection {
  raw: BetterSqlite3.Database;
  statements: Map<string, BetterSqlite3.Statement>;
}

const connections = new Map<string, Connection>();

function connection(path: string): Connection {
  let found = connections.get(path);
  if (found === undefined) {
    const raw = new BetterSqlite3(path, { timeout: BUSY_TIMEOUT_MS, fileMustExist: true });
    raw.pragma("query_only = ON");
    // 8 MiB of page cache per connection (SQLite's default is 2): the operating system caches the file too.
    raw.pragma("cache_size = -8192");
    found = { raw, statements: new Map() };
    connections.set(path, found);
  }
  return found;
}

function prepare(conn: Connection, sql: string): BetterSqlite3.Statement {
  if (sql.length > MAX_CACHED_SQL_LENGTH) return conn.raw.prepare(sql);
  let statement = conn.statements.get(sql);
  if (statement) conn.statements.delete(sql);
  else statement = conn.raw.prepare(sql);
  conn.statements.set(sql, statement);
  if (conn.statements.size > STATEMENTS_PER_CONNECTION)
    conn.statements.delete(conn.statements.keys().next().value as string);
  return statement;
}

function handle(request: ReadRequest): unknown[] {
  if ("close" in request) {
    connections.get(request.path)?.raw.close();
    connections.delete(request.path);
    return [];
  }
  const statement = prepare(connection(request.path), request.sql);
  if (!statement.reader) throw new Error("a read thread runs only statements that return rows");
  return statement.all(request.parameters);
}

if (parentPort) answerRequests(parentPort, handle);
