/**
 * Queue throughput on one PostgreSQL, in one run: relabel's pub/sub against
 * graphile-worker 0.17 (with and without its local queue batching) and pg-boss
 * 10 (batch fetch), all with no-op handlers. Measures enqueue/s (bulk and
 * single), processed/s, and publish→handler latency at a light load.
 * Contenders run one at a time, interleaved run by run, each run on its own
 * fresh schema (dropped afterwards).
 *
 *   npx tsx bench/queue.bench.ts [--messages 20000] [--runs 3] [--quick]
 *                                [--pg postgres://postgres@127.0.0.1:5432/test]
 *
 * --quick: 15,000 messages, 1 run, 50 latency samples, 1 s of single enqueue (~20 s in all).
 * Tuning flags (defaults are the report's): --concurrency 10, --relabel-batch 250,
 * --graphile-local-queue 500, --graphile-complete-delay 0, --pgboss-batch 500, and
 * --only relabel,graphile,graphile-lq,pgboss to run some contenders.
 *
 * Progress goes to stderr; the last stdout line is the JSON report that
 * bench/run.ts reads.
 */
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { Contender } from "./queue/contender.js";
import { graphileContender } from "./queue/graphile.js";
import { benchRun, type RunPlan, type RunResult } from "./queue/measure.js";
import { pgBossContender } from "./queue/pgboss.js";
import { checkReachable, withSchema } from "./queue/postgres.js";
import { relabelContender } from "./queue/relabel.js";
import { markdown, type Row, summarize } from "./queue/report.js";

const TITLE = "Queue throughput on PostgreSQL (no-op handlers)";

export interface QueueBenchOptions {
  messages: number;
  runs: number;
  quick: boolean;
  pg: string;
  /** Concurrent consumers, the same for every contender. */
  concurrency: number;
  relabelBatch: number;
  graphileLocalQueue: number;
  graphileCompleteDelay: number;
  pgBossBatch: number;
  /** Contender keys to run (relabel, graphile, graphile-lq, pgboss); all if empty. */
  only: string[];
}

export interface QueueBenchReport {
  section: "queue";
  title: string;
  settings: Record<string, unknown>;
  rows: Row[];
  markdown: string;
}

function versionOf(pkg: string): string {
  const file = fileURLToPath(new URL(`../node_modules/${pkg}/package.json`, import.meta.url));
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

function contenders(o: QueueBenchOptions): Map<string, Contender> {
  const all = new Map<string, Contender>([
    ["relabel", relabelContender({ concurrency: o.concurrency, batchSize: o.relabelBatch })],
    ["graphile", graphileContender({ concurrency: o.concurrency })],
    [
      "graphile-lq",
      graphileContender({
        concurrency: o.concurrency,
        batching: { localQueueSize: o.graphileLocalQueue, completeJobBatchDelay: o.graphileCompleteDelay },
      }),
    ],
    [
      "pgboss",
      pgBossContender({ concurrency: o.concurrency, batchSize: o.pgBossBatch, pollingIntervalSeconds: 0.5 }),
    ],
  ]);
  return o.only.length === 0 ? all : new Map([...all].filter(([key]) => o.only.includes(key)));
}

export async function runQueueBench(o: QueueBenchOptions): Promise<QueueBenchReport> {
  const plan: RunPlan = {
    messages: o.messages,
    chunk: 1_000,
    singleConcurrency: 10,
    singleSeconds: o.quick ? 1 : 3,
    latencySamples: o.quick ? 50 : 200,
    latencyPerSecond: 50,
    timeoutMs: 180_000,
  };
  const postgres = await checkReachable(o.pg);
  // Other work on the machine skews every figure here; the load averages at start and end tell.
  const loadAtStart = loadavg()[0] as number;
  const chosen = contenders(o);
  const results = new Map<string, RunResult[]>([...chosen.keys()].map((key) => [key, []]));
  // Interleaved (run 1 of each, then run 2 of each…) so drift on the machine spreads over everyone.
  for (let run = 1; run <= o.runs; run++) {
    for (const [key, contender] of chosen) {
      const result = await withSchema(o.pg, key.replace("-", "_"), async (schema) => {
        const queue = await contender.open(o.pg, schema);
        try {
          return await benchRun(queue, plan);
        } finally {
          await queue.close();
        }
      });
      results.get(key)?.push(result);
      console.error(
        `run ${run}/${o.runs} ${contender.name.padEnd(28)} bulk ${Math.round(result.enqueueBulkPerS)}/s  ` +
          `single ${Math.round(result.enqueueSinglePerS)}/s  processed ${Math.round(result.processedPerS)}/s`,
      );
    }
  }
  const rows = [...chosen].map(([key, c]) => summarize(c.name, results.get(key) ?? []));
  const configurations = Object.fromEntries([...chosen.values()].map((c) => [c.name, c.configuration]));
  return {
    section: "queue",
    title: TITLE,
    settings: {
      messages: o.messages,
      runs: o.runs,
      quick: o.quick,
      concurrency: o.concurrency,
      bulk_chunk: plan.chunk,
      single: { publishers: plan.singleConcurrency, seconds: plan.singleSeconds },
      latency: { samples_per_run: plan.latencySamples, per_second: plan.latencyPerSecond },
      postgres,
      node: process.version,
      cpus: availableParallelism(),
      load_average_1m: { start: loadAtStart, end: loadavg()[0] },
      versions: { "graphile-worker": versionOf("graphile-worker"), "pg-boss": versionOf("pg-boss") },
      configurations,
    },
    rows,
    markdown: markdown(rows, {
      plan,
      runs: o.runs,
      concurrency: o.concurrency,
      postgres,
      configurations,
    }),
  };
}

function optionsFromArgs(): QueueBenchOptions {
  const { values } = parseArgs({
    options: {
      messages: { type: "string" },
      runs: { type: "string" },
      quick: { type: "boolean", default: false },
      pg: {
        type: "string",
        default: process.env.RELABEL_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test",
      },
      concurrency: { type: "string", default: "10" },
      // Batch sizes: each contender's best of a sweep at concurrency 10, 20k messages, 3 runs, on the
      // 2-core dev box (processed/s). relabel 100/250/500/1000: 41k/56k/51k/40k. graphile localQueue
      // 11/100/500: 4.4k/23k/37k (500 is also its docs' performance setup; completeJobBatchDelay 250
      // instead of 0 changed nothing). pg-boss 100/250/500/1000: 2.1k/5.4k/5.9k/4.0k.
      "relabel-batch": { type: "string", default: "250" },
      "graphile-local-queue": { type: "string", default: "500" },
      "graphile-complete-delay": { type: "string", default: "0" },
      "pgboss-batch": { type: "string", default: "500" },
      only: { type: "string", default: "" },
    },
  });
  const quick = values.quick ?? false;
  return {
    // Quick keeps 15k: with fewer, a run is a couple of batches per consumer and measures start-up,
    // not throughput (5k would be one fetch round for pg-boss's 10 × 500, skipping its poll waits).
    messages: Number(values.messages ?? (quick ? 15_000 : 20_000)),
    runs: Number(values.runs ?? (quick ? 1 : 3)),
    quick,
    pg: values.pg,
    concurrency: Number(values.concurrency),
    relabelBatch: Number(values["relabel-batch"]),
    graphileLocalQueue: Number(values["graphile-local-queue"]),
    graphileCompleteDelay: Number(values["graphile-complete-delay"]),
    pgBossBatch: Number(values["pgboss-batch"]),
    only: values.only.split(",").filter(Boolean),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const started = performance.now();
  const report = await runQueueBench(optionsFromArgs());
  console.error(`queue bench done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  // pg pools and listeners close above; exit anyway so a stray timer in a library cannot hold the report.
  process.exit(0);
}
