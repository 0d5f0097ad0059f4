import type { ErrorCode } from "../errors.js";

/**
 * Database failures that are not the request's fault nor a bug: the storage is
 * full, or the database cannot be reached for now. Both are answered with a
 * catalogued 5xx that tells the client to retry, never `internal`.
 */

/** SQLite result codes (better-sqlite3 puts them in `code`). */
const SQLITE_FULL = new Set(["SQLITE_FULL"]);
const SQLITE_UNAVAILABLE = new Set(["SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_CANTOPEN"]);

/**
 * PostgreSQL SQLSTATEs: 53100 disk_full, 53200 out_of_memory, 53300
 * too_many_connections; class 08 connection exceptions; 57P01–57P03 the
 * server shutting down or terminating the session.
 */
const PG_FULL = new Set(["53100"]);
const PG_UNAVAILABLE = /^(08...|53200|53300|57P0[123])$/;
/** Socket-level failures, and node-postgres's own messages for a connection that died mid-query. */
const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND"]);
const PG_CONNECTION_LOST =
  /Connection terminated|connection timeout|Client has encountered a connection error/i;

export function databaseErrorCode(err: unknown): ErrorCode | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === "string") {
    if (SQLITE_FULL.has(code) || PG_FULL.has(code)) return "storage_full";
    if (code.startsWith("SQLITE_IOERR") || code.startsWith("SQLITE_BUSY") || SQLITE_UNAVAILABLE.has(code))
      return "database_unavailable";
    if (PG_UNAVAILABLE.test(code) || NETWORK.has(code)) return "database_unavailable";
  }
  if (typeof message === "string" && PG_CONNECTION_LOST.test(message)) return "database_unavailable";
  return undefined;
}
