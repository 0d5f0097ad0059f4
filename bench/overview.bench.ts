/**
 * The Overview's queries on a big database: totals, the label distribution,
 * queue health, running jobs, a label trend and a page of a job's changed
 * items, each timed (median of 5 runs, after one warm-up) on both backends.
 *
 *   npx tsx bench/overview.bench.ts [--items 100000] [--backend sqlite|postgres]
 *
 * Measured here (2 cores; ~1.4 labels an item), median ms, SQLite / PostgreSQL:
 *
 *   | query                          | 100,000 items | 1,000,000 items |
 *   | ------------------------------ | ------------- | --------------- |
 *   | totals                         |   23 / 54     |   279 / 263     |
 *   | label distribution             |   97 / 26     |  2922 / 219     |
 *   | queue health                   |   17 / 15     |   176 / 166     |
 *   | running jobs                   |  0.1 / 0.7    |   0.2 / 1.0     |
 *   | trend: 3 labels, 30 days, day  |   66 / 9      |   781 / 167     |
 *   | trend: 3 labels, a year, week  |   84 / 43     |  1133 / 632     |
 *   | job items: a page of 100       |  0.4 / 1.1    |   0.3 / 1.1     |
 *
 * Items come from bench/load-items.ts (synthetic, a year of activity); their
 * labels, a finished re-label's analysis runs (one per item, a tenth of them
 * changed) and its queue messages (one done per item, plus 1% pending) are
 * written straight into their tables, which is what a re-label of every item
 * leaves behind, only faster to make.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { pino } from "pino";
import { type Database, transaction } from "../src/db/database.js";
import type { LabelSource } from "../src/db/schema.js";
import { labelDistribution, totals } from "../src/overview/counts.js";
import { queueHealth } from "../src/overview/queues.js";
import { labelTrend } from "../src/overview/trend.js";
import { activeJobs, jobItems } from "../src/reanalysis/jobs.js";
import { defaultTopics } from "../src/runners/topics.js";
import { type Backend, loadItems, openMigrated, SYNTHETIC_END, scratchDatabase } from "./load-items.js";

const DAY = 86_400_000;
const LABELS = [
  "billing/refund",
  "billing/invoice",
  "shipping/delay",
  "shipping/tracking",
  "bug/login",
  "account/password-reset",
  "churn/cancellation",
  "priority/urgent",
];

/** A small deterministic hash of an id, so every run labels the same items alike. */
function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

async function ids(database: Database, kind: "conversation" | "note"): Promise<string[]> {
  const rows =
    kind === "conversation"
      ? await database.db.selectFrom("conversations").select("fs_id as id").execute()
      : await database.db.selectFrom("notes").select("note_id as id").execute();
  return rows.map((r) => r.id);
}

/** 0–3 labels per item (about 1.5 on average), mostly by rule, some by model and by hand. */
export async function writeLabels(database: Database): Promise<number> {
  const now = Date.now();
  let written = 0;
  for (const kind of ["conversation", "note"] as const) {
    const all = await ids(database, kind);
    for (let start = 0; start < all.length; start += 2_000) {
      const rows = all.slice(start, start + 2_000).flatMap((id) => {
        const h = hash(id);
        const n = h % 4;
        const chosen = new Set(
          Array.from({ length: n }, (_, k) => LABELS[(h >>> (4 + 3 * k)) % LABELS.length]),
        );
        return [...chosen].map((label, k) => ({
          item_type: kind,
          item_id: id,
          label: label as string,
          source: (["rule", "rule", "rule", "model", "manual"] as LabelSource[])[
            (h >>> (16 + k)) % 5
          ] as LabelSource,
          confidence: 1,
          evidence: "[]",
          analyzer_version: "bench",
          taxonomy_version: 1,
          note_version: kind === "note" ? 1 : null,
          analyzed_at: now,
        }));
      });
      if (rows.length === 0) continue;
      await transaction(database, async (trx) => {
        for (let i = 0; i < rows.length; i += 1_000)
          await trx
            .insertInto("label_assignments")
            .values(rows.slice(i, i + 1_000))
            .execute();
      });
      written += rows.length;
    }
  }
  return written;
}

/** A finished job over every item: its runs (a tenth changed something) and its done messages, plus 1% pending. */
export async function writeJobHistory(database: Database): Promise<void> {
  const now = Date.now();
  await database.db
    .insertInto("reanalysis_jobs")
    .values({
      status: "running",
      type: "both",
      from_ms: now - 400 * DAY,
      until_ms: now,
      dry_run: 0,
      sample_limit: null,
      cursor_kind: null,
      cursor_at: null,
      cursor_id: null,
      created_at: now - 60_000,
      fanned_out_at: now - 50_000,
      finished_at: null,
    })
    .execute();
  let messageNo = 0;
  for (const kind of ["conversation", "note"] as const) {
    const all = await ids(database, kind);
    for (let start = 0; start < all.length; start += 2_000) {
      const part = all.slice(start, start + 2_000);
      await transaction(database, async (trx) => {
        const runs = part.map((id) => {
          const changed = hash(`run:${id}`) % 10 === 0;
          return {
            item_type: kind,
            item_id: id,
            note_version: kind === "note" ? 1 : null,
            message_id: null,
            analyzed_at: now,
            taxonomy_version: 1,
            analyzer_version: "bench",
            job_id: 1,
            added: JSON.stringify(changed ? ["billing/refund"] : []),
            removed: "[]",
            applied: 1,
          };
        });
        for (let i = 0; i < runs.length; i += 1_000)
          await trx
            .insertInto("analysis_runs")
            .values(runs.slice(i, i + 1_000))
            .execute();
        const messages = part.map((id) => {
          const pending = ++messageNo % 100 === 0;
          return {
            topic: "conversation_note_analysis",
            key: JSON.stringify(
              kind === "conversation" ? { conversation_fs_id: id } : { note_id: id, note_version: 1 },
            ),
            data: "{}",
            state: pending ? ("pending" as const) : ("done" as const),
            priority: 10,
            attempts: pending ? 0 : 1,
            max_attempts: 5,
            run_at: now - 30_000,
            created_at: now - 30_000,
            finished_at: pending ? null : now - (messageNo % 120) * 1_000,
          };
        });
        for (let i = 0; i < messages.length; i += 1_000)
          await trx
            .insertInto("messages")
            .values(messages.slice(i, i + 1_000))
            .execute();
      });
    }
  }
}

/** Times each query the Overview, the trend and the job's items make (median of 5, after a warm-up). */
export async function timeCases(database: Database, items: number): Promise<void> {
  const context = { database, topics: defaultTopics(), logger: pino({ level: "silent" }) };
  const end = SYNTHETIC_END.getTime();
  const cases: [string, () => Promise<unknown>][] = [
    ["totals", () => totals(database.db)],
    ["label distribution", () => labelDistribution(database.db)],
    ["queue health", () => queueHealth(context)],
    ["running jobs", () => activeJobs(database.db)],
    [
      "trend: 3 labels, 30 days by day",
      () =>
        labelTrend(database.db, {
          labels: LABELS.slice(0, 3),
          from: end - 30 * DAY,
          until: end,
          bucket: "day",
        }),
    ],
    [
      "trend: 3 labels, a year by week",
      () =>
        labelTrend(database.db, {
          labels: LABELS.slice(0, 3),
          from: end - 365 * DAY,
          until: end,
          bucket: "week",
        }),
    ],
    ["job items: first page of 100", () => jobItems(database.db, 1, { limit: 100 })],
    [
      "job items: a page of 100 halfway",
      () => jobItems(database.db, 1, { afterRunId: Math.floor(items / 2), limit: 100 }),
    ],
  ];
  for (const [name, fn] of cases) {
    const { ms } = await time(fn);
    console.log(`  ${name.padEnd(36)} ${ms.toFixed(1).padStart(8)} ms`);
  }
}

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  let result = await fn();
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    result = await fn();
    runs.push(performance.now() - started);
  }
  runs.sort((a, b) => a - b);
  return { ms: runs[2] as number, result };
}

async function measure(backend: Backend, count: number): Promise<void> {
  const scratch = await scratchDatabase(backend);
  const database = await openMigrated(scratch.url);
  try {
    const started = performance.now();
    const items = await loadItems(database, count);
    const labels = await writeLabels(database);
    await writeJobHistory(database);
    await sql.raw(backend === "postgres" ? "VACUUM ANALYZE" : "ANALYZE").execute(database.db);
    console.log(
      `${backend}: ${items.toLocaleString("en")} items, ${labels.toLocaleString("en")} labels, set up in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    await timeCases(database, items);
  } finally {
    await database.close();
    await scratch.drop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: { items: { type: "string", default: "100000" }, backend: { type: "string" } },
  });
  const backends: Backend[] = values.backend ? [values.backend as Backend] : ["sqlite", "postgres"];
  for (const backend of backends) await measure(backend, Number(values.items));
}
