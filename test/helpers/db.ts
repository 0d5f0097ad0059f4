import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { inject } from "vitest";
import { parseDatabaseUrl } from "../../src/config.js";
import { type Database, openDatabase } from "../../src/db/database.js";
import { migrate } from "../../src/db/migrate.js";

export type Backend = "sqlite" | "postgres";

const pgUrl = inject("pgUrl");

/** Both backends where PostgreSQL is reachable; `describe.each(BACKENDS)` runs a file on each. */
export const BACKENDS: Backend[] = pgUrl ? ["sqlite", "postgres"] : ["sqlite"];
export const POSTGRES_SKIPPED = !pgUrl;

export interface FreshDatabase {
  backend: Backend;
  /** A DATABASE_URL that reaches this database (for child processes). */
  url: string;
  database: Database;
  cleanup(): Promise<void>;
}

/**
 * An empty, migrated database of its own: a new SQLite file in a temporary
 * folder, or a new schema in the test PostgreSQL. Tests never share one, so
 * they can run in parallel.
 */
export async function freshDatabase(
  backend: Backend,
  options: { migrated?: boolean } = {},
): Promise<FreshDatabase> {
  const { url, drop } = backend === "sqlite" ? freshSqliteUrl() : await freshPostgresUrl();
  const database = openDatabase(parseDatabaseUrl(url));
  if (options.migrated !== false) await migrate(database);
  return {
    backend,
    url,
    database,
    async cleanup() {
      await database.close();
      await drop();
    },
  };
}

export function freshSqliteUrl(): { url: string; dir: string; drop(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), "relabel-test-"));
  return {
    url: `sqlite:${join(dir, "relabel.db")}`,
    dir,
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function freshPostgresUrl(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `t_${randomBytes(6).toString("hex")}`;
  await adminQuery(`create schema ${schema}`);
  const url = new URL(pgUrl);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return { url: url.toString(), drop: () => adminQuery(`drop schema if exists ${schema} cascade`) };
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
