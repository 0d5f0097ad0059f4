import { readFileSync } from "node:fs";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { type Credentials, tokenMatches } from "./auth/credentials.js";
import { packageVersion } from "./cli/version.js";
import type { Database } from "./db/database.js";
import { AppError } from "./errors.js";
import type { RateLimits } from "./http/rate-limit.js";
import { backlog, type TopicBacklog } from "./pubsub/stats.js";
import type { BatchReport } from "./runners/process-batch.js";

/**
 * prom-client's default metrics that are gauges named `…_total`, which
 * Prometheus reserves for counters (`promtool check metrics` rejects them).
 * Each is the sum of the gauge of the same name without `_total`, by type:
 * `sum without (type) (nodejs_active_handles)`.
 */
const MISNAMED_DEFAULTS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/** What `relabel_build_info` says: the package version and the commit it was built from. */
export interface BuildInfo {
  version: string;
  commit: string;
}

/**
 * The commit this code was built from: what `npm run build` wrote into
 * dist/build-info.json (`git rev-parse --short HEAD` at build time), or
 * "unknown" (no build info: run from source, or built outside a git checkout).
 * RELABEL_COMMIT, passed in by the caller, wins over both. Read when the
 * metrics are created, at start; a scrape never reads a file or runs git.
 */
export function buildCommit(
  fromEnv?: string,
  file: URL = new URL("./build-info.json", import.meta.url),
): string {
  if (fromEnv) return fromEnv;
  try {
    const { commit } = JSON.parse(readFileSync(file, "utf8")) as { commit?: unknown };
    if (typeof commit === "string" && commit !== "") return commit;
  } catch {
    // No build info: fall through.
  }
  return "unknown";
}

/**
 * Prometheus metrics for one process, on a registry of its own (tests build
 * many servers in one process). Queue depths are read from the database at
 * scrape time, so every process reports the shared backlog; counters and
 * durations are this process's own work. Node.js and process metrics keep
 * prom-client's standard names (`process_*`, `nodejs_*`), which off-the-shelf
 * dashboards query; relabel's own are prefixed `relabel_`.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #processed: Counter<"topic" | "outcome">;
  readonly #handlerSeconds: Histogram<"topic">;
  readonly #httpRequests: Counter<"method" | "route" | "status">;
  readonly #httpSeconds: Histogram<"method" | "route">;

  constructor(database: Database, topics: () => string[], build: Partial<BuildInfo> = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(name);
    new Gauge({
      name: "relabel_build_info",
      help: "Always 1; its labels name the running relabel version and the commit it was built from",
      labelNames: ["version", "commit"],
      registers,
    }).set({ version: build.version ?? packageVersion(), commit: build.commit ?? buildCommit() }, 1);
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
      help: "HTTP requests answered, by route pattern and status",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.#httpSeconds = new Histogram({
      name: "relabel_http_request_duration_seconds",
      help: "Time to answer an HTTP request, by route pattern",
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
    depth("relabel_messages_pending", "Messages waiting now (due or backing off)", (b) => b.pending);
    depth("relabel_messages_running", "Messages claimed by a runner now", (b) => b.running);
    depth("relabel_messages_dead_lettered", "Messages kept after using up their attempts", (b) => b.failed);
    depth("relabel_oldest_pending_age_seconds", "Age of the oldest pending message (0: none)", (b, now) =>
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

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Who may read /metrics. `tokens` absent: anyone who reaches the port (like
 * /healthz). Present (RELABEL_METRICS_TOKEN, or RELABEL_METRICS_AUTH=token):
 * `Authorization: Bearer` with one of these tokens or an admin token; failures
 * count against the same per-address limit as /api's.
 */
export function metricsAccess(
  credentials: Credentials,
  limits: RateLimits,
  tokens: readonly string[] | undefined,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    if (tokens === undefined) return;
    const presented = BEARER.exec(request.headers.authorization ?? "")?.[1];
    if (presented !== undefined) {
      // Every token is compared, so the time taken does not tell which one matched.
      let matched = credentials.identify(presented)?.scope === "admin";
      for (const token of tokens) matched = tokenMatches(presented, token) || matched;
      if (matched) return;
    }
    await limits.authFailure(request, reply);
    reply.header("www-authenticate", 'Bearer realm="relabel"');
    throw new AppError(
      "unauthorized",
      "Missing or invalid credentials: /metrics needs 'Authorization: Bearer <RELABEL_METRICS_TOKEN or an admin token>'.",
    );
  };
}
