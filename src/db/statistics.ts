import { sql } from "kysely";
import type { Database } from "./database.js";

/** The tables a bulk job grows fast, whose plans go wrong first when their statistics are stale. */
export const BULK_TABLES = ["label_assignments", "analysis_runs", "messages", "reanalysis_job_messages"];

/** Rows changed since the last ANALYZE beyond which statistics count as stale: 20 % of the table, at least 1,000. */
const STALE_SHARE = 0.2;
const STALE_MIN_ROWS = 1_000;

/**
 * PostgreSQL plans from table statistics that autovacuum refreshes about once
 * a minute at best. A job that grows a table from empty within seconds runs on
 * plans made for an empty table: per-item label look-ups by primary key became
 * scans of every label of the item type (measured on 100k items: 2.5 ms per
 * 500 items with fresh statistics, 30–56 ms with stale ones). So runners
 * ANALYZE a table themselves once it changed by a fifth since its last
 * ANALYZE. SQLite needs nothing: its planner uses the primary key without
 * statistics. Returns the tables analyzed.
 */
export async function refreshStaleStatistics(
  database: Database,
  tables: readonly string[] = BULK_TABLES,
): Promise<string[]> {
  if (database.dialect !== "postgres") return [];
  const { rows } = await sql<{ table: string }>`select s.relname as table
    from pg_stat_user_tables s join pg_class c on c.oid = s.relid
    where s.schemaname = current_schema() and s.relname = any(${[...tables]}::text[])
      and s.n_mod_since_analyze > greatest(${STALE_MIN_ROWS}, ${STALE_SHARE} * greatest(c.reltuples, 0))`.execute(
    database.db,
  );
  for (const { table } of rows) await sql`analyze ${sql.table(table)}`.execute(database.db);
  return rows.map((r) => r.table);
}
