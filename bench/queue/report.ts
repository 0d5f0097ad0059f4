import type { RunPlan, RunResult } from "./measure.js";
import { median, percentile, roundMs, roundRate } from "./stats.js";

export interface Row {
  contender: string;
  enqueue_bulk_per_s: number;
  enqueue_single_per_s: number;
  processed_per_s: number;
  processed_min: number;
  processed_max: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
}

/** Medians over runs; latency percentiles over every run's samples pooled. */
export function summarize(contender: string, runs: RunResult[]): Row {
  const processed = runs.map((r) => r.processedPerS);
  const latencies = runs.flatMap((r) => r.latenciesMs);
  return {
    contender,
    enqueue_bulk_per_s: roundRate(median(runs.map((r) => r.enqueueBulkPerS))),
    enqueue_single_per_s: roundRate(median(runs.map((r) => r.enqueueSinglePerS))),
    processed_per_s: roundRate(median(processed)),
    processed_min: roundRate(Math.min(...processed)),
    processed_max: roundRate(Math.max(...processed)),
    latency_p50_ms: roundMs(percentile(latencies, 50)),
    latency_p99_ms: roundMs(percentile(latencies, 99)),
  };
}

const rate = (n: number) => Math.round(n).toLocaleString("en-US");

export function markdown(
  rows: Row[],
  context: {
    plan: RunPlan;
    runs: number;
    concurrency: number;
    postgres: string;
    configurations: Record<string, string>;
  },
): string {
  const { plan } = context;
  const lines = [
    `PostgreSQL ${context.postgres} on the same machine, one Node ${process.version} process, ` +
      `${plan.messages.toLocaleString("en-US")} messages per run, ${context.runs} run(s) per contender ` +
      "(interleaved, each on a fresh schema; medians shown, processed also min–max). " +
      `Every contender gets the same budget of ${context.concurrency} concurrent consumers. ` +
      `Bulk enqueue: chunks of ${plan.chunk} through each one's bulk path, one client. ` +
      `Single enqueue: ${plan.singleConcurrency} concurrent publishers, one message per call, ` +
      `${plan.singleSeconds} s, consumers stopped. Processed: queue filled first, pools connected, then ` +
      "timed from starting the consumers until every message is handled and its completion is visible " +
      "in the database. " +
      `Latency: ${plan.latencySamples} messages per run published one at a time at ` +
      `${plan.latencyPerSecond}/s to idle consumers, from the publish call's return (commit) to the ` +
      "handler's start.",
    "",
    ...Object.entries(context.configurations).map(([name, how]) => `- **${name}**: ${how}`),
    "",
    "| Contender | Enqueue bulk (msg/s) | Enqueue single (msg/s) | Processed (msg/s) | Processed min–max | Latency p50 (ms) | Latency p99 (ms) |",
    "|---|--:|--:|--:|--:|--:|--:|",
    ...rows.map(
      (r) =>
        `| ${r.contender} | ${rate(r.enqueue_bulk_per_s)} | ${rate(r.enqueue_single_per_s)} | ` +
        `${rate(r.processed_per_s)} | ${rate(r.processed_min)}–${rate(r.processed_max)} | ` +
        `${r.latency_p50_ms.toFixed(1)} | ${r.latency_p99_ms.toFixed(1)} |`,
    ),
  ];
  return lines.join("\n");
}
