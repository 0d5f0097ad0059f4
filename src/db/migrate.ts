import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { type Database, type Executor, transaction } from "./database.js";
import { searchPathSchemas } from "./postgres.js";

/**
 * Numbered, append-only migrations in `migrations/`, one SQL file per dialect
 * (`0001_items.sqlite.sql`, `0001_items.postgres.sql`). Each runs in its own
 * transaction under a lock (BEGIN IMMEDIATE on SQLite, an advisory lock on
 * PostgreSQL) and is re-checked inside it, so two processes starting at once
 * apply every migration exactly once.
 */

export interface Migration {
  id: number;
  name: string;
  script: string;
}

const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations/", import.meta.url));
const FILE = /^(\d{4})_(\w+)\.(sqlite|postgres)\.sql$/;

export function loadMigrations(dialect: Database["dialect"], dir = MIGRATIONS_DIR): Migration[] {
  const found = new Map<number, Partial<Record<Database["dialect"], string>> & { name: string }>();
  for (const file of readdirSync(dir)) {
    const m = FILE.exec(file);
    if (!m) continue;
    const id = Number(m[1]);
    const entry = found.get(id) ?? { name: m[2] as string };
    entry[m[3] as Database["dialect"]] = readFileSync(`${dir}/${file}`, "utf8");
    found.set(id, entry);
  }
  const ids = [...found.keys()].sort((a, b) => a - b);
  return ids.map((id, index) => {
    const entry = found.get(id);
    if (id !== index + 1) throw new Error(`migrations: expected ${index + 1} next, found ${id}`);
    const script = entry?.[dialect];
    if (!entry || script === undefined) throw new Error(`migrations: ${id} has no ${dialect} file`);
    return { id, name: entry.name, script };
  });
}

async function lock(database: Database, trx: Executor): Promise<void> {
  // SQLite's BEGIN IMMEDIATE already holds the write lock; PostgreSQL needs one that
  // also covers CREATE TABLE IF NOT EXISTS, which races on its catalog otherwise.
  if (database.dialect === "postgres") {
    await sql`select pg_advisory_xact_lock(hashtext('relabel_migrations:' || current_schema()))`.execute(trx);
  }
}

async function appliedIds(trx: Executor): Promise<Set<number>> {
  const rows = await trx.selectFrom("relabel_migrations").select("id").execute();
  return new Set(rows.map((r) => r.id));
}

/** SQLSTATEs of a CREATE SCHEMA IF NOT EXISTS that lost a race with another process's. */
const SCHEMA_RACE = new Set(["42P06", "23505"]);

/**
 * PostgreSQL: a DATABASE_URL may choose a schema with
 * `?options=-c search_path=<schema>`; a schema nobody has created leaves
 * nowhere to create the tables in ("no schema has been selected to create
 * in"). Creates the first schema the search_path names (other than `$user`)
 * when none of them exists yet; says what to run when this user may not.
 */
export async function ensureSchema(database: Database): Promise<string | undefined> {
  if (database.dialect !== "postgres") return undefined;
  const { rows } = await sql<{ current: string | null; path: string }>`select current_schema() as current,
    current_setting('search_path') as path`.execute(database.db);
  const row = rows[0];
  if (!row || row.current !== null) return undefined;
  const schema = searchPathSchemas(row.path).find((name) => name !== "$user");
  if (schema === undefined) {
    throw new Error(
      `PostgreSQL: search_path (${row.path}) names no schema to create relabel's tables in; ` +
        "add one to DATABASE_URL, e.g. ?options=-c%20search_path%3Drelabel",
    );
  }
  const statement = sql`create schema if not exists ${sql.id(schema)}`;
  try {
    await statement.execute(database.db);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && SCHEMA_RACE.has(code)) return schema;
    if (code === "42501") {
      const quoted = `"${schema.replaceAll('"', '""')}"`;
      throw new Error(
        `PostgreSQL: schema ${quoted} (from search_path) does not exist and this user may not create it; ` +
          `have its owner run: CREATE SCHEMA ${quoted} AUTHORIZATION <the user in DATABASE_URL>`,
      );
    }
    throw err;
  }
  return schema;
}

/** Applies the pending migrations; returns the ones this call applied. */
export async function migrate(database: Database): Promise<Migration[]> {
  const migrations = loadMigrations(database.dialect);
  await ensureSchema(database);
  const applied = await transaction(database, async (trx) => {
    await lock(database, trx);
    await sql`create table if not exists relabel_migrations (
      id integer primary key, name text not null, applied_at bigint not null)`.execute(trx);
    return appliedIds(trx);
  });
  const ran: Migration[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.id)) continue;
    const didRun = await transaction(database, async (trx) => {
      await lock(database, trx);
      if ((await appliedIds(trx)).has(migration.id)) return false;
      await database.execScript(trx, migration.script);
      await trx
        .insertInto("relabel_migrations")
        .values({ id: migration.id, name: migration.name, applied_at: Date.now() })
        .execute();
      return true;
    });
    if (didRun) ran.push(migration);
  }
  return ran;
}

const latestKnown: Partial<Record<Database["dialect"], number>> = {};

/** True when every migration this build knows has been applied (for /readyz). */
export async function isMigrated(database: Database): Promise<boolean> {
  latestKnown[database.dialect] ??= loadMigrations(database.dialect).length;
  const latest = latestKnown[database.dialect] as number;
  try {
    const row = await database.db
      .selectFrom("relabel_migrations")
      .select((eb) => eb.fn.max("id").as("id"))
      .executeTakeFirst();
    return Number(row?.id ?? 0) >= latest;
  } catch {
    return false;
  }
}
