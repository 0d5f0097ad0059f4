/**
 * Wake-up latency: from the commit of a publish to the moment an idle runner's
 * handler starts on it, on SQLite (in-process wake-up) and PostgreSQL
 * (LISTEN/NOTIFY across connections). Runners poll only every 60 s here, so
 * every figure below is a wake-up, not a poll.
 *
 *   npx tsx bench/wakeup-latency.ts [--samples 200] [--pg postgres://postgres@127.0.0.1:5432/test]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { pino } from "pino";
import { parseDatabaseUrl } from "../src/config.js";
import { openDatabase, transaction } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { publish } from "../src/pubsub/publish.js";
import { TopicRegistry } from "../src/pubsub/registry.js";
import type { TopicDefinition } from "../src/pubsub/topic.js";
import { createWakeups } from "../src/pubsub/wakeups.js";
import type { Runtime } from "../src/runners/runtime.js";
import { RunnerPool } from "../src/runners/worker.js";

const { values } = parseArgs({
  options: {
    samples: { type: "string", default: "200" },
    pg: {
      type: "string",
      default: process.env.RELABEL_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test",
    },
  },
});
const samples = Number(values.samples);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(label: string, url: string): Promise<void> {
  const logger = pino({ level: "silent" });
  const database = openDatabase(parseDatabaseUrl(url), logger);
  await migrate(database);
  const wakeups = await createWakeups(database, logger);
  let arrived: (() => void) | undefined;
  const topic: TopicDefinition = {
    name: "bench_wake",
    description: "bench",
    normalizeKey: async (_ex, key) => key as Record<string, unknown>,
    maxAttempts: 1,
    backoff: { baseMs: 1, maxMs: 1 },
    batchSize: 10,
    async handle() {
      arrived?.();
      return { commit: async () => {} };
    },
  };
  const runtime: Runtime = {
    database,
    logger,
    topics: new TopicRegistry([topic]),
    wakeups,
    leaseMs: 30_000,
    retentionMs: 3_600_000,
  };
  const pool = new RunnerPool(runtime, { concurrency: 1, pollMs: 60_000 });
  pool.start();
  await new Promise((r) => setTimeout(r, 200));
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const handled = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    await transaction(database, (trx) => publish(trx, runtime, { topic: "bench_wake", key: { i } }));
    const committed = performance.now();
    await handled;
    latencies.push(performance.now() - committed);
    await new Promise((r) => setTimeout(r, 5)); // let the runner go idle again
  }
  await pool.stop();
  await wakeups.close();
  await database.close();
  latencies.sort((a, b) => a - b);
  const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
  console.log(
    `${label.padEnd(12)} n=${samples}  p50 ${fmt(percentile(latencies, 50))}  p90 ${fmt(percentile(latencies, 90))}  p99 ${fmt(percentile(latencies, 99))}  max ${fmt(latencies[latencies.length - 1] ?? 0)}`,
  );
}

const dir = mkdtempSync(join(tmpdir(), "relabel-bench-"));
try {
  await measure("sqlite", `sqlite:${join(dir, "bench.db")}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const admin = new pg.Client({ connectionString: values.pg });
try {
  await admin.connect();
} catch (err) {
  console.log(`postgresql   skipped: ${(err as Error).message}`);
  process.exit(0);
}
const schema = `bench_${process.pid}`;
await admin.query(`create schema ${schema}`);
try {
  const url = new URL(values.pg);
  url.searchParams.set("options", `-c search_path=${schema}`);
  await measure("postgresql", url.toString());
} finally {
  await admin.query(`drop schema ${schema} cascade`);
  await admin.end();
}
