import type { FastifyInstance } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "./db/database.js";
import { backlog, type TopicBacklog } from "./pubsub/stats.js";
import type { BatchReport } from "./runners/process-batch.js";

/**
 * Prometheus metrics for one process, on a registry of its own (tests build
 * many servers in one process). Queue depths are read from the database at
 * scrape time, so every process reports the shared backlog; counters and
 * durations are this process's own work.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #processed: Counter<"topic" | "outcome">;
  readonly #handlerSeconds: Histogram<"topic">;
  readonly #httpRequests: Counter<"method" | "route" | "status">;
  readonly #httpSeconds: Histogram<"method" | "route">;

  constructor(database: Database, topics: () => string[]) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "relabel_" });
    this.#processed = new Counter({
      name: "relabel_messages_processed_total",
      help: "Messages processed by this process's runners and ticks, by outcome",
      labelNames: ["topic", "outcome"],
      registers,
    });
    this.#handlerSeconds = new Histogram({
      name: "relabel_batch_duration_seconds",
      help: "Time to handle and commit one claimed batch",
      labelNames: ["topic"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    });
    this.#httpRequests = new Counter({
      name: "relabel_http_requests_total",
      help: "HTTP requests answered",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.#httpSeconds = new Histogram({
      name: "relabel_http_request_duration_seconds",
      help: "HTTP request duration",
      labelNames: ["method", "route"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    // One backlog query per scrape, shared by the gauges (prom-client collects them concurrently).
    let scrape: { at: number; result: Promise<Map<string, TopicBacklog>> } | undefined;
    const readBacklog = () => {
      if (!scrape || Date.now() - scrape.at > 1_000) {
        scrape = { at: Date.now(), result: backlog(database.db, topics()) };
      }
      return scrape.result;
    };
    const depth = (name: string, help: string, value: (b: TopicBacklog, now: number) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["topic"],
        registers,
        async collect() {
          const now = Date.now();
          try {
            for (const [topic, b] of await readBacklog()) this.set({ topic }, value(b, now));
          } catch {
            // The database is unreachable: leave the last values; /readyz reports the outage.
          }
        },
      });
    depth("relabel_messages_pending", "Messages waiting (due or backing off)", (b) => b.pending);
    depth("relabel_messages_running", "Messages claimed by a runner", (b) => b.running);
    depth("relabel_messages_dead_lettered", "Messages that used up their attempts", (b) => b.failed);
    depth("relabel_oldest_pending_age_seconds", "Age of the oldest pending message", (b, now) =>
      b.oldestPendingCreatedAt === null ? 0 : (now - b.oldestPendingCreatedAt) / 1000,
    );
  }

  observeBatch(topic: string, report: BatchReport, seconds: number): void {
    this.#processed.inc({ topic, outcome: "succeeded" }, report.succeeded);
    this.#processed.inc({ topic, outcome: "failed" }, report.failed);
    this.#processed.inc({ topic, outcome: "dead_lettered" }, report.deadLettered);
    this.#handlerSeconds.observe({ topic }, seconds);
  }

  /** Counts and times every request by its route pattern (never the raw URL: ids would explode cardinality). */
  instrument(app: FastifyInstance): void {
    app.addHook("onResponse", async (request, reply) => {
      const route = request.routeOptions.url ?? "unmatched";
      this.#httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
      this.#httpSeconds.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    });
  }
}
