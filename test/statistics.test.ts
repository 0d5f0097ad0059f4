import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { refreshStaleStatistics } from "../src/db/statistics.js";
import { type Backend, type FreshDatabase, freshDatabase, POSTGRES_SKIPPED } from "./helpers/db.js";

describe("table statistics", () => {
  let t: FreshDatabase | undefined;
  const open = async (backend: Backend) => {
    t = await freshDatabase(backend);
    return t;
  };
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });

  async function addLabels(t: FreshDatabase, from: number, count: number): Promise<void> {
    const rows = Array.from({ length: count }, (_, i) => ({
      item_type: "conversation" as const,
      item_id: `c${from + i}`,
      label: "billing/refund",
      source: "rule" as const,
      confidence: 1,
      evidence: "[]",
      analyzer_version: "test",
      taxonomy_version: 1,
      note_version: null,
      analyzed_at: 0,
      model_version: null,
    }));
    for (let i = 0; i < rows.length; i += 500) {
      await t.database.db
        .insertInto("label_assignments")
        .values(rows.slice(i, i + 500))
        .execute();
    }
  }

  /** PostgreSQL's cumulative statistics reach pg_stat_user_tables shortly after a commit. */
  async function modifiedSinceAnalyze(t: FreshDatabase): Promise<number> {
    await sql`select pg_stat_force_next_flush()`.execute(t.database.db);
    const { rows } = await sql<{ n: string }>`select n_mod_since_analyze as n from pg_stat_user_tables
      where schemaname = current_schema() and relname = 'label_assignments'`.execute(t.database.db);
    return Number(rows[0]?.n ?? 0);
  }

  it.skipIf(POSTGRES_SKIPPED)(
    "on PostgreSQL, analyzes a table that grew by a fifth since its last ANALYZE, and only then",
    async () => {
      const t = await open("postgres");
      await addLabels(t, 0, 5_000);
      await modifiedSinceAnalyze(t);
      expect(await refreshStaleStatistics(t.database)).toContain("label_assignments");
      const { rows } = await sql<{ tuples: number }>`select reltuples as tuples from pg_class
        where oid = 'label_assignments'::regclass`.execute(t.database.db);
      expect(Number(rows[0]?.tuples)).toBe(5_000);
      // 800 more rows is under a fifth of 5,000 (and under the 1,000-row floor): still fresh.
      await addLabels(t, 5_000, 800);
      expect(await modifiedSinceAnalyze(t)).toBe(800);
      expect(await refreshStaleStatistics(t.database)).not.toContain("label_assignments");
      await addLabels(t, 5_800, 1_000);
      await modifiedSinceAnalyze(t);
      expect(await refreshStaleStatistics(t.database)).toContain("label_assignments");
    },
  );

  it("needs nothing on SQLite", async () => {
    const t = await open("sqlite");
    await addLabels(t, 0, 5_000);
    expect(await refreshStaleStatistics(t.database)).toEqual([]);
  });
});
