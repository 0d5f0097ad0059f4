import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { Logger } from "pino";
import type { Database } from "./database.js";
import type { Schema } from "./schema.js";

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * COUNT(*) and BIGINT columns arrive as strings from `pg`; relabel's counts,
 * ids and epoch-millisecond timestamps all fit in a double, so they come out as
 * JSON numbers on both backends. Set per pool, not globally, so an embedding
 * application's own `pg` use is untouched.
 */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

export function openPostgres(url: string, logger?: Logger): Database {
  const pool = new pg.Pool({ connectionString: url, max: 10, types, connectionTimeoutMillis: 10_000 });
  // A connection whose server went away (a restart, a failover, pg_terminate_backend)
  // emits 'error' on its client, checked out or idle; unhandled, that would crash the
  // process. The query in flight fails on its own; the pool discards the dead client
  // when it is released (or at once if idle) and connects anew on demand.
  pool.on("connect", (client) =>
    client.on("error", (err) =>
      logger?.warn({ err: err.message }, "postgres connection lost; the pool will reconnect"),
    ),
  );
  pool.on("error", () => {}); // an idle client's error, already logged by its own listener
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return {
    dialect: "postgres",
    db,
    description: redactUrl(url),
    // With no parameters `pg` uses the simple query protocol, which runs a multi-statement script.
    execScript: async (executor, script) => {
      await sql.raw(script).execute(executor);
    },
    close: () => db.destroy(),
    pool,
    connectionString: url,
  };
}

/**
 * The schema names of a `search_path` setting, in order, as PostgreSQL reads
 * them: comma-separated; a double-quoted name kept as written (`""` is a
 * quote), an unquoted one folded to lower case. `$user` is left as it is.
 */
export function searchPathSchemas(setting: string): string[] {
  const names: string[] = [];
  let i = 0;
  while (i < setting.length) {
    while (setting[i] === " " || setting[i] === "\t") i++;
    let name = "";
    if (setting[i] === '"') {
      i++;
      while (i < setting.length) {
        if (setting[i] === '"') {
          if (setting[i + 1] !== '"') break;
          i++;
        }
        name += setting[i];
        i++;
      }
      i++; // the closing quote
      while (i < setting.length && setting[i] !== ",") i++;
    } else {
      const end = setting.indexOf(",", i);
      name = setting
        .slice(i, end === -1 ? setting.length : end)
        .trim()
        .toLowerCase();
      i = end === -1 ? setting.length : end;
    }
    if (name !== "") names.push(name);
    i++; // the comma
  }
  return names;
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}
