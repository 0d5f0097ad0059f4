/**
 * End-to-end bulk re-labeling: N synthetic items (bench/synthetic.ts) labelled
 * with the example taxonomy, then one reanalysis job over all of them, run by
 * a runner pool, timed until the job is done. Each phase runs in its own
 * process so its peak RSS is its own.
 *
 *   npx tsx bench/reanalysis.ts [--items 1000000] [--backend sqlite|postgres|both] [--workers 2]
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import pg from "pg";
import { pino } from "pino";
import { SAMPLE_TAXONOMY } from "../src/cli/sample.js";
import { readTaxonomyFile } from "../src/cli/taxonomy.js";
import { parseDatabaseUrl } from "../src/config.js";
import { type Database, openDatabase, transaction } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { saveTaxonomy } from "../src/labels/taxonomy-store.js";
import { createWakeups } from "../src/pubsub/wakeups.js";
import { createJob, getJob } from "../src/reanalysis/jobs.js";
import type { Runtime } from "../src/runners/runtime.js";
import { defaultTopics } from "../src/runners/topics.js";
import { RunnerPool } from "../src/runners/worker.js";
import { type SyntheticLine, syntheticItems } from "./synthetic.js";

const { values } = parseArgs({
  options: {
    items: { type: "string", default: "1000000" },
    backend: { type: "string", default: "both" },
    workers: { type: "string", default: "2" },
    phase: { type: "string" },
    url: { type: "string" },
    pg: {
      type: "string",
      default: process.env.RELABEL_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test",
    },
  },
});
const items = Number(values.items);
const START = new Date("2025-11-24T00:00:00Z");
const END = new Date("2026-11-24T00:00:00Z");
const BATCH = 1_000;

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function open(url: string) {
  const logger = pino({ level: "warn" });
  const database = openDatabase(parseDatabaseUrl(url), logger);
  await migrate(database);
  return { database, logger };
}

/** Phase 1: the items, written straight into their tables in batched transactions, and the taxonomy. */
async function load(url: string): Promise<object> {
  const { database } = await open(url);
  await transaction(database, (trx) => saveTaxonomy(database, trx, readTaxonomyFile(SAMPLE_TAXONOMY)));
  const started = performance.now();
  let batch: SyntheticLine[] = [];
  let written = 0;
  const flush = async () => {
    const conversations = batch.flatMap((l) => (l.type === "conversation" ? [l] : []));
    const versions = batch.flatMap((l) => (l.type === "note" ? [l] : []));
    await transaction(database, async (trx) => {
      if (conversations.length > 0) {
        await trx
          .insertInto("conversations")
          .values(
            conversations.map((c) => ({
              fs_id: c.fs_id,
              subject: c.subject,
              messages: JSON.stringify(
                c.messages.map((m) => ({ role: m.role, text: m.text, at: Date.parse(m.at) })),
              ),
              metadata: JSON.stringify(c.metadata),
              created_at: Date.parse(c.created_at),
              updated_at: Date.parse(c.updated_at),
            })),
          )
          .execute();
      }
      if (versions.length > 0) {
        const latest = new Map<string, SyntheticLine & { type: "note" }>();
        for (const v of versions)
          if ((latest.get(v.note_id)?.version ?? 0) < v.version) latest.set(v.note_id, v);
        const first = new Map<string, number>();
        for (const v of versions) if (v.version === 1) first.set(v.note_id, Date.parse(v.created_at));
        await trx
          .insertInto("notes")
          .values(
            [...latest.values()].map((v) => ({
              note_id: v.note_id,
              latest_version: v.version,
              created_at: first.get(v.note_id) ?? Date.parse(v.created_at),
              updated_at: Date.parse(v.created_at),
            })),
          )
          .execute();
        await trx
          .insertInto("note_versions")
          .values(
            versions.map((v) => ({
              note_id: v.note_id,
              version: v.version,
              text: v.text,
              metadata: "{}",
              created_at: Date.parse(v.created_at),
            })),
          )
          .execute();
      }
    });
    batch = [];
  };
  let lastNote = "";
  for (const line of syntheticItems({ count: items, seed: 42, start: START, end: END })) {
    // Keep a note's versions in one batch.
    const boundary = line.type === "conversation" || line.note_id !== lastNote;
    if (boundary && batch.length >= BATCH) await flush();
    if (line.type === "note") lastNote = line.note_id;
    if (boundary) written++;
    batch.push(line);
  }
  await flush();
  await database.close();
  const seconds = (performance.now() - started) / 1000;
  return {
    items: written,
    load_seconds: Math.round(seconds),
    load_items_per_s: Math.round(written / seconds),
    peak_rss_mb: peakRssMb(),
  };
}

/** One job over everything, processed by the runner pool; timed from creation to done. */
async function timeJob(database: Database, runtime: Runtime): Promise<Record<string, number>> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  let job = await createJob(database, runtime, {
    type: "both",
    from: START.getTime(),
    until: END.getTime(),
    dryRun: false,
  });
  let reported = started;
  while (job.status !== "done") {
    // Poll finely: the figure is the time to done, not to the next poll.
    await new Promise((r) => setTimeout(r, 20));
    job = await getJob(database.db, job.id);
    if (performance.now() - reported > 2_000) {
      reported = performance.now();
      process.stderr.write(`  ${job.status} ${job.done}/${job.total} rss ${peakRssMb()} MB\n`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    total: job.total,
    done: job.done,
    failed: job.failed,
    items_changed: job.items_changed,
    seconds: Math.round(seconds * 100) / 100,
    items_per_s: Math.round(job.total / seconds),
    // This process's CPU (runners, and on SQLite the database too): steadier than wall time on a busy machine.
    cpu_seconds: Math.round((used.user + used.system) / 1e4) / 100,
  };
}

/**
 * Phase 2, two jobs over everything: the first labels items that have no
 * labels yet; then a new taxonomy version (one label's keywords changed) and
 * the re-label proper, where every item has labels to compare and replace.
 */
async function run(url: string): Promise<object> {
  const { database, logger } = await open(url);
  const wakeups = await createWakeups(database, logger);
  const runtime: Runtime = {
    database,
    logger,
    topics: defaultTopics(),
    wakeups,
    leaseMs: 30_000,
    retentionMs: 86_400_000,
  };
  const pool = new RunnerPool(runtime, { concurrency: Number(values.workers) });
  pool.start();
  const first = await timeJob(database, runtime);
  await transaction(database, (trx) => saveTaxonomy(database, trx, changedTaxonomy()));
  const relabel = await timeJob(database, runtime);
  await pool.stop();
  await wakeups.close();
  const size = await databaseBytes(database, url);
  await database.close();
  return { first, relabel, database_mb: Math.round(size / 1e6), peak_rss_mb: peakRssMb() };
}

/** The example taxonomy with one label's keywords changed: a new version, as a team would make. */
function changedTaxonomy(): unknown {
  const input = readTaxonomyFile(SAMPLE_TAXONOMY) as {
    labels: { name: string; rules?: { keywords?: string[] } }[];
  };
  const refund = input.labels.find((l) => l.name === "billing/refund");
  refund?.rules?.keywords?.push("reimbursement", "reimburse");
  return input;
}

/** Bytes on disk: the SQLite file and its WAL, or the schema's tables and indexes. */
async function databaseBytes(database: Database, url: string): Promise<number> {
  if (database.dialect === "sqlite") {
    const path = url.slice("sqlite:".length);
    return [path, `${path}-wal`].reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0);
  }
  const { rows } = await sql<{
    bytes: string;
  }>`select coalesce(sum(pg_total_relation_size(c.oid)), 0) as bytes
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind = 'r'`.execute(database.db);
  return Number(rows[0]?.bytes ?? 0);
}

async function phase(): Promise<void> {
  const url = values.url as string;
  const result = values.phase === "load" ? await load(url) : await run(url);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function child(phaseName: string, url: string): Record<string, unknown> {
  const out = execFileSync(
    process.execPath,
    [
      "--import",
      "tsx",
      fileURLToPath(import.meta.url),
      "--phase",
      phaseName,
      "--url",
      url,
      "--items",
      String(items),
      "--workers",
      String(values.workers),
    ],
    { stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.toString().trim().split("\n").pop() as string);
}

async function main(): Promise<void> {
  const backends = values.backend === "both" ? ["sqlite", "postgres"] : [values.backend as string];
  for (const backend of backends) {
    let url: string;
    let cleanup: () => Promise<void>;
    if (backend === "sqlite") {
      const dir = mkdtempSync(join(tmpdir(), "relabel-bench-"));
      url = `sqlite:${join(dir, "bench.db")}`;
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    } else {
      const admin = new pg.Client({ connectionString: values.pg });
      await admin.connect();
      const schema = `bench_${process.pid}`;
      await admin.query(`create schema ${schema}`);
      const u = new URL(values.pg as string);
      u.searchParams.set("options", `-c search_path=${schema}`);
      url = u.toString();
      cleanup = async () => {
        await admin.query(`drop schema ${schema} cascade`);
        await admin.end();
      };
    }
    try {
      console.error(`${backend}: loading ${items} items`);
      const loaded = child("load", url);
      console.error(`${backend}: reanalyzing`);
      const ran = child("run", url);
      console.log(
        JSON.stringify({
          backend,
          workers: Number(values.workers),
          ...loaded,
          ...ran,
          load_peak_rss_mb: loaded.peak_rss_mb,
        }),
      );
    } finally {
      await cleanup();
    }
  }
}

await (values.phase ? phase() : main());
