/**
 * End-to-end re-labeling: N synthetic items (bench/synthetic.ts, via
 * bench/load-items.ts) with the example taxonomy, then two reanalysis jobs
 * over all of them, run by a runner pool and timed from the job's creation to
 * `done`:
 *   1. "first labeling": items that carry no labels yet get them;
 *   2. "re-label": after a new taxonomy version (one label's keywords
 *      changed), every item is analyzed again and every label rewritten.
 * Loading and re-labeling run in separate processes, so the peak RSS reported
 * is the re-labeling's own.
 *
 *   npx tsx bench/reanalysis.ts [--items 100000] [--backend sqlite|postgres|both] [--workers 2] [--quick]
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { SAMPLE_TAXONOMY } from "../src/cli/sample.js";
import { readTaxonomyFile } from "../src/cli/taxonomy.js";
import type { Database } from "../src/db/database.js";
import {
  type Backend,
  DEFAULT_PG_URL,
  loadItems,
  openMigrated,
  SYNTHETIC_END,
  SYNTHETIC_START,
  scratchDatabase,
} from "./load-items.js";
import { api, build, type Served, serve } from "./runbook/serve.js";

const { values } = parseArgs({
  options: {
    items: { type: "string" },
    quick: { type: "boolean", default: false },
    backend: { type: "string", default: "both" },
    workers: { type: "string", default: "2" },
    phase: { type: "string" },
    url: { type: "string" },
    pg: { type: "string", default: DEFAULT_PG_URL },
  },
});
const items = Number(values.items ?? (values.quick ? 10_000 : 100_000));
const workers = Number(values.workers);

interface JobFigures {
  total: number;
  failed: number;
  items_changed: number;
  seconds: number;
  items_per_s: number;
  cpu_seconds: number;
}

/** Phase 1 (own process): the items, written straight into their tables. */
async function load(url: string): Promise<object> {
  const database = await openMigrated(url);
  const started = performance.now();
  const written = await loadItems(database, items);
  // What an operator does after a bulk load, so PostgreSQL plans from real sizes.
  if (database.dialect === "postgres") await sql`analyze`.execute(database.db);
  await database.close();
  const seconds = (performance.now() - started) / 1000;
  return { items: written, load_seconds: Math.round(seconds * 10) / 10 };
}

/** The job as `GET /api/internal/labels/reanalysis/:id` shows it (the fields used here). */
interface JobView {
  id: number;
  status: string;
  total: number;
  done: number;
  failed: number;
  items_changed: number;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** A process's peak resident set (VmHWM), in MB. */
function peakRssMbOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmHWM:\s+(\d+) kB/m);
  return Math.round(Number(line?.[1]) / 1024);
}

/** One job over everything, started over HTTP as an operator would; timed from the request to done. */
async function timeJob(server: Served): Promise<JobFigures> {
  const started = performance.now();
  const cpu = cpuSecondsOf(server.pid);
  const range = `from=${SYNTHETIC_START.toISOString()}&until=${SYNTHETIC_END.toISOString()}`;
  let job = await api<JobView>(server.origin, `/api/internal/labels/reanalysis?${range}`, { method: "POST" });
  let reported = started;
  while (job.status !== "done") {
    // Poll finely: the figure is the time to done, not to the next poll.
    await new Promise((r) => setTimeout(r, 25));
    job = await api<JobView>(server.origin, `/api/internal/labels/reanalysis/${job.id}`);
    if (performance.now() - reported > 5_000) {
      reported = performance.now();
      process.stderr.write(`  ${job.status} ${job.done}/${job.total}\n`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    total: job.total,
    failed: job.failed,
    items_changed: job.items_changed,
    seconds: Math.round(seconds * 100) / 100,
    items_per_s: Math.round(job.total / seconds),
    cpu_seconds: Math.round((cpuSecondsOf(server.pid) - cpu) * 100) / 100,
  };
}

/**
 * Phase 2: \`relabel serve\` (from dist/) with its runners does the work;
 * this process only asks over HTTP: the first labeling, a new taxonomy
 * version (PUT /api/taxonomy), and the re-label.
 */
async function run(url: string): Promise<object> {
  const server = await serve(url, workers);
  try {
    const first = await timeJob(server);
    await api(server.origin, "/api/taxonomy", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(changedTaxonomy()),
    });
    const relabel = await timeJob(server);
    const peak = peakRssMbOf(server.pid);
    const database = await openMigrated(url);
    const size = await databaseBytes(database, url);
    await database.close();
    return { first, relabel, database_mb: Math.round(size / 1e6), peak_rss_mb: peak };
  } finally {
    await server.stop();
  }
}

/** The example taxonomy with one label's keywords changed: a new version, as a team would make. */
function changedTaxonomy(): unknown {
  const input = readTaxonomyFile(SAMPLE_TAXONOMY) as {
    labels: { name: string; rules?: { keywords?: string[] } }[];
  };
  input.labels.find((l) => l.name === "billing/refund")?.rules?.keywords?.push("reimbursement", "reimburse");
  return input;
}

/** Bytes on disk: the SQLite file and its WAL, or the schema's tables with their indexes and TOAST. */
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

function child(phaseName: string, url: string): Record<string, unknown> {
  const args = ["--phase", phaseName, "--url", url, "--items", String(items), "--workers", String(workers)];
  const out = execFileSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.toString().trim().split("\n").pop() as string);
}

interface Row {
  backend: Backend;
  items: number;
  load_seconds: number;
  first: JobFigures;
  relabel: JobFigures;
  database_mb: number;
  peak_rss_mb: number;
}

function markdown(rows: Row[]): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const lines = [
    `${n(items)} synthetic items (75 % conversations, 25 % notes with 1–5 versions), the example taxonomy (24 labels, rules). \`relabel serve\` (from dist/, \`RELABEL_WORKERS=${workers}\`) does the work; the benchmark starts each job with the reanalysis request over HTTP and polls it. "First labeling": items without labels get theirs. "Re-label": after a new taxonomy version (\`PUT /api/taxonomy\`), every item analyzed again and every label rewritten. Items/s and wall time from the request to \`done\`; CPU and peak RSS (VmHWM) are the serve process's; database size at the end.`,
    "",
    "| backend | job | items/s | wall | CPU | peak RSS | database |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    for (const [name, job] of [
      ["first labeling", r.first],
      ["re-label", r.relabel],
    ] as const) {
      lines.push(
        `| ${r.backend === "sqlite" ? "SQLite" : "PostgreSQL"} | ${name} | ${n(job.items_per_s)} | ${job.seconds.toFixed(1)} s | ${job.cpu_seconds.toFixed(1)} s | ${r.peak_rss_mb} MB | ${n(r.database_mb)} MB |`,
      );
    }
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const backends: Backend[] =
    values.backend === "both" ? ["sqlite", "postgres"] : [values.backend as Backend];
  const rows: Row[] = [];
  for (const backend of backends) {
    const scratch = await scratchDatabase(backend, values.pg);
    try {
      process.stderr.write(`reanalysis, ${backend}: loading ${items} items\n`);
      const loaded = child("load", scratch.url);
      process.stderr.write(`reanalysis, ${backend}: labeling, then re-labeling\n`);
      rows.push({ backend, ...loaded, ...(await run(scratch.url)) } as unknown as Row);
    } finally {
      await scratch.drop();
    }
  }
  const result = {
    section: "reanalysis",
    title: `End-to-end re-labeling of ${items.toLocaleString("en-US")} items`,
    settings: { items, workers, backends },
    rows,
    markdown: markdown(rows),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (values.phase === "load") process.stdout.write(`${JSON.stringify(await load(values.url as string))}\n`);
else {
  await build();
  await main();
}
