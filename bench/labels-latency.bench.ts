/**
 * Publish → labels visible, with idle continuous runners: the time from
 * publishing one `conversation_note_analysis` message to the moment another
 * connection sees the item's new label_assignments rows. Target: p50 ≤ 10 ms,
 * p99 ≤ 50 ms on both backends.
 *
 * Setup per backend: a scratch database with the example taxonomy and a few
 * hundred synthetic items (bench/load-items.ts), labeled once. Each sample
 * deletes a labeled conversation's labels, waits so the runners are idle, then
 * publishes its analysis and waits until a reader sees labels again. Two ways:
 *   - in process: a RunnerPool (one loop, as `relabel serve` runs by default)
 *     and `publish()` in this process; the time runs from the publish call;
 *   - over HTTP: the runbook's publish request (bearer token) to a
 *     `relabel serve` from dist/, whose one runner loop does the work.
 * The reader is a worker thread with its own connection (better-sqlite3
 * read-only, or a pg client) polling every 0.5 ms, so polling never takes
 * turns with the runner on its event loop.
 *
 *   npx tsx bench/labels-latency.bench.ts [--samples 200] [--backend sqlite|postgres|both] [--quick] [--pg URL] [--no-http] [--no-build]
 *
 * Progress goes to stderr; the last stdout line is the JSON result.
 */
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { pino } from "pino";
import { ANALYSIS_TOPIC } from "../src/analysis/topic.js";
import { type Database, transaction } from "../src/db/database.js";
import { publish } from "../src/pubsub/publish.js";
import { createWakeups } from "../src/pubsub/wakeups.js";
import { createJob, getJob } from "../src/reanalysis/jobs.js";
import type { Runtime } from "../src/runners/runtime.js";
import { defaultTopics } from "../src/runners/topics.js";
import { RunnerPool } from "../src/runners/worker.js";
import { runbookPublishScript, runInConsole } from "../test/helpers/runbook.js";
import {
  type Backend,
  DEFAULT_PG_URL,
  loadItems,
  openMigrated,
  SYNTHETIC_END,
  SYNTHETIC_START,
  scratchDatabase,
} from "./load-items.js";
import { AUTH, build, serve } from "./runbook/serve.js";

const { values } = parseArgs({
  options: {
    samples: { type: "string" },
    backend: { type: "string", default: "both" },
    quick: { type: "boolean", default: false },
    pg: { type: "string", default: DEFAULT_PG_URL },
    "no-http": { type: "boolean", default: false },
    "no-build": { type: "boolean", default: false },
  },
});
const samples = Number(values.samples ?? (values.quick ? 50 : 200));
const backends: Backend[] = values.backend === "both" ? ["sqlite", "postgres"] : [values.backend as Backend];
const ITEMS = 300;
const PACE_MS = 20;
/** Untimed samples first: the first analysis in a process loads and compiles the taxonomy (~70–100 ms). */
const WARMUP = 5;
const READ_EVERY_MS = 0.5;
const TARGET = { p50: 10, p99: 50 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** process.hrtime is one monotonic clock for every thread of the process, unlike performance.now(). */
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * The reader, in a worker thread. Sent an item id, it polls until the item has
 * labels and answers with the hrtime (ms) of the poll that saw them. Plain JS
 * source for an eval worker: it imports nothing of ours, only the drivers by path.
 */
function reader(): void {
  const { parentPort, workerData } = require("node:worker_threads");
  const { backend, target, modules, everyMs } = workerData;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const query =
    "select count(*) as n from label_assignments where item_type = 'conversation' and item_id = $1";
  let count: (id: string) => Promise<number>;
  let ready: Promise<void>;
  if (backend === "sqlite") {
    const BetterSqlite3 = require(modules.sqlite);
    const statement = new BetterSqlite3(target, { readonly: true }).prepare(query.replace("$1", "?"));
    count = async (id) => statement.get(id).n;
    ready = Promise.resolve();
  } else {
    const pg = require(modules.pg);
    const client = new pg.Client({ connectionString: target });
    count = async (id) =>
      Number((await client.query({ name: "labels", text: query, values: [id] })).rows[0].n);
    ready = client.connect();
  }
  ready.then(() => {
    parentPort.on("message", async (id: string) => {
      // Atomics.wait sleeps this thread for 0.5 ms; setTimeout cannot go below 1 ms.
      while ((await count(id)) === 0) Atomics.wait(pause, 0, 0, everyMs);
      parentPort.postMessage(Number(process.hrtime.bigint()) / 1e6);
    });
    parentPort.postMessage("ready");
  });
}

interface Reader {
  /** Resolves with when labels of conversation `id` were first seen. */
  seen(id: string): Promise<number>;
  close(): Promise<number>;
}

async function startReader(backend: Backend, url: string): Promise<Reader> {
  const require = createRequire(import.meta.url);
  // tsx (esbuild keepNames) wraps functions in __name(fn, "name"): give the worker that helper.
  const worker = new Worker(`const __name = (f) => f; (${reader.toString()})()`, {
    eval: true,
    workerData: {
      backend,
      target: backend === "sqlite" ? url.slice("sqlite:".length) : url,
      modules: { sqlite: require.resolve("better-sqlite3"), pg: require.resolve("pg") },
      everyMs: READ_EVERY_MS,
    },
  });
  // One sample at a time, so one pending answer at a time.
  let pending: { resolve(value: unknown): void; reject(err: Error): void } | undefined;
  const settle = (f: (p: NonNullable<typeof pending>) => void) => {
    const p = pending;
    pending = undefined;
    if (p) f(p);
  };
  worker.on("message", (m) => settle((p) => p.resolve(m)));
  worker.on("error", (err) => settle((p) => p.reject(err)));
  const next = () =>
    new Promise<unknown>((resolve, reject) => {
      pending = { resolve, reject };
    });
  await next(); // "ready"
  return {
    seen(id) {
      const answer = next() as Promise<number>;
      worker.postMessage(id);
      return answer;
    },
    close: () => worker.terminate(),
  };
}

/** Conversations that carry labels after a first full labeling, so that deleting theirs changes something. */
async function labeledConversations(database: Database): Promise<string[]> {
  const rows = await database.db
    .selectFrom("label_assignments")
    .select("item_id")
    .distinct()
    .where("item_type", "=", "conversation")
    .orderBy("item_id")
    .execute();
  return rows.map((r) => r.item_id);
}

const forget = (database: Database, id: string) =>
  database.db
    .deleteFrom("label_assignments")
    .where("item_type", "=", "conversation")
    .where("item_id", "=", id)
    .execute();

interface Samples {
  /** From the publish call until a reader saw the labels. */
  visible: number[];
  /** From the publish call until it returned (committed, or the HTTP answer arrived). */
  publish: number[];
}

/** `samples` rounds of forget, pause, publish, wait until seen; in ms. */
async function sampleLoop(
  database: Database,
  reader: Reader,
  ids: string[],
  publishOne: (id: string) => Promise<void>,
): Promise<Samples> {
  const result: Samples = { visible: [], publish: [] };
  for (let i = -WARMUP; i < samples; i++) {
    const id = ids[(i + WARMUP) % ids.length] as string;
    await forget(database, id);
    await sleep(PACE_MS); // the runners go back to sleep: each sample starts from idle
    const seen = reader.seen(id);
    const started = nowMs();
    await publishOne(id);
    const published = nowMs();
    const visible = await seen;
    if (i < 0) continue;
    result.publish.push(published - started);
    result.visible.push(visible - started);
  }
  return result;
}

interface Row {
  backend: Backend;
  way: string;
  samples: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  target_met: boolean;
  /** Where the time goes: the publish call alone (p50), and, in process, the runner's batch (handler and ack commit). */
  publish_p50_ms: number;
  batch_p50_ms?: number;
}

/** Nearest-rank percentile, as bench/wakeup-latency.ts. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
const round = (ms: number) => Math.round(ms * 100) / 100;

function row(backend: Backend, way: string, { visible, publish }: Samples, batches?: number[]): Row {
  const at = (p: number) => percentile(visible, p);
  const r: Row = {
    backend,
    way,
    samples: visible.length,
    p50_ms: round(at(50)),
    p90_ms: round(at(90)),
    p99_ms: round(at(99)),
    max_ms: round(Math.max(...visible)),
    target_met: at(50) <= TARGET.p50 && at(99) <= TARGET.p99,
    publish_p50_ms: round(percentile(publish, 50)),
    ...(batches && { batch_p50_ms: round(percentile(batches, 50)) }),
  };
  process.stderr.write(
    `${backend} ${way}: p50 ${r.p50_ms} p90 ${r.p90_ms} p99 ${r.p99_ms} max ${r.max_ms} ms` +
      ` (target ${r.target_met ? "met" : "MISSED"}); publish p50 ${r.publish_p50_ms}` +
      `${r.batch_p50_ms === undefined ? "" : `, batch p50 ${r.batch_p50_ms}`} ms\n`,
  );
  return r;
}

async function measure(backend: Backend): Promise<Row[]> {
  const scratch = await scratchDatabase(backend, values.pg);
  const database = await openMigrated(scratch.url);
  const logger = pino({ level: "warn" });
  const rows: Row[] = [];
  let reader: Reader | undefined;
  try {
    await loadItems(database, ITEMS);
    const wakeups = await createWakeups(database, logger);
    const runtime: Runtime = {
      database,
      logger,
      topics: defaultTopics(),
      wakeups,
      leaseMs: 30_000,
      retentionMs: 86_400_000,
    };
    // One loop and the default 1 s poll, as in `relabel serve`: only the wake-up makes it fast.
    const pool = new RunnerPool(runtime, { concurrency: 1 });
    pool.start();
    const job = await createJob(database, runtime, {
      type: "both",
      from: SYNTHETIC_START.getTime(),
      until: SYNTHETIC_END.getTime(),
      dryRun: false,
    });
    while ((await getJob(database.db, job.id)).status !== "done") await sleep(20);
    const ids = await labeledConversations(database);
    process.stderr.write(`${backend}: ${ITEMS} items labeled, ${ids.length} conversations with labels\n`);
    reader = await startReader(backend, scratch.url);
    const batches: number[] = [];
    runtime.observe = (topic, _report, seconds) => {
      if (topic === ANALYSIS_TOPIC) batches.push(seconds * 1000);
    };

    const inProcess = await sampleLoop(database, reader, ids, async (id) => {
      await transaction(database, (trx) =>
        publish(trx, runtime, { topic: ANALYSIS_TOPIC, key: { conversation_fs_id: id } }),
      );
    });
    rows.push(row(backend, "in process: publish() → RunnerPool", inProcess, batches));
    await pool.stop();
    await wakeups.close();

    if (!values["no-http"]) {
      // The rate limit would throttle nothing here (≤ 50 requests/s), so it stays at its default.
      const server = await serve(scratch.url, 1);
      try {
        const overHttp = await sampleLoop(database, reader, ids, async (id) => {
          const [answer = ""] = await runInConsole(
            runbookPublishScript({ conversation_fs_id: id }),
            server.origin,
            AUTH,
          );
          if (!answer.startsWith("202 ")) throw new Error(`publish: ${answer}`);
        });
        rows.push(row(backend, "over HTTP: runbook publish → relabel serve (1 runner)", overHttp));
      } finally {
        await server.stop();
      }
    }
    return rows;
  } finally {
    await reader?.close();
    await database.close();
    await scratch.drop();
  }
}

function markdown(rows: Row[]): string {
  const lines = [
    `${samples} samples per row after ${WARMUP} untimed ones, one every ≥ ${PACE_MS} ms so the runners are ` +
      "idle at each publish; " +
      `${ITEMS} synthetic items with the example taxonomy. A sample deletes a labeled conversation's labels, ` +
      "publishes its `conversation_note_analysis` message, and ends when a reader on its own connection " +
      `(polling every ${READ_EVERY_MS} ms) sees label_assignments rows again. One runner loop. ` +
      `Node ${process.versions.node}, ${availableParallelism()} cores, the database on the same machine. ` +
      `Target: p50 ≤ ${TARGET.p50} ms, p99 ≤ ${TARGET.p99} ms. ` +
      `\`npx tsx bench/labels-latency.bench.ts${values.quick ? " --quick" : ""}\`.`,
    "",
    "| backend | way | p50 | p90 | p99 | max | target |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.backend === "sqlite" ? "SQLite" : "PostgreSQL"} | ${r.way} | ${r.p50_ms} ms | ${r.p90_ms} ms | ` +
        `${r.p99_ms} ms | ${r.max_ms} ms | ${r.target_met ? "met" : "missed"} |`,
    ),
  ];
  return lines.join("\n");
}

if (!values["no-http"] && !values["no-build"]) {
  await build();
}
const rows: Row[] = [];
for (const backend of backends) rows.push(...(await measure(backend)));
process.stdout.write(
  `${JSON.stringify({
    section: "latency",
    title: "Publish → labels visible, idle continuous runners",
    settings: {
      samples,
      items: ITEMS,
      backends,
      workers: 1,
      warmup: WARMUP,
      pace_ms: PACE_MS,
      read_every_ms: READ_EVERY_MS,
      target: { p50_ms: TARGET.p50, p99_ms: TARGET.p99 },
      http: !values["no-http"],
      node: process.versions.node,
      cores: availableParallelism(),
    },
    rows,
    markdown: markdown(rows),
  })}\n`,
);
// Everything of ours is closed by now. Whatever still holds the event loop is a leak worth naming,
// not a reason to hang the benchmark run.
setTimeout(() => {
  process.stderr.write(
    `warning: still running 1 s after the end, held by: ${process.getActiveResourcesInfo().join(", ")}\n`,
  );
  process.exit(0);
}, 1_000).unref();
