import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { pino } from "pino";
import { Credentials } from "../../src/auth/credentials.js";
import type { RateLimitOptions } from "../../src/http/rate-limit.js";
import { buildServer } from "../../src/http/server.js";
import type { TopicRegistry } from "../../src/pubsub/registry.js";
import { createWakeups } from "../../src/pubsub/wakeups.js";
import type { Runtime } from "../../src/runners/runtime.js";
import { defaultTopics } from "../../src/runners/topics.js";
import { type Backend, type FreshDatabase, freshDatabase } from "./db.js";

export const TEST_TOKEN = "test-token-0123456789abcdef";
/** An ingest-scoped token: items and labels, not the runners, queue or taxonomy. */
export const INGEST_TOKEN = "ingest-token-0123456789abcdef";

export interface TestRuntime extends FreshDatabase {
  runtime: Runtime;
}

/** A fresh database with the runners' settings; tests may bring their own topics and a short lease. */
export async function freshRuntime(
  backend: Backend,
  options: { topics?: TopicRegistry; leaseMs?: number } = {},
): Promise<TestRuntime> {
  const fresh = await freshDatabase(backend);
  const logger = pino({ level: "silent" });
  const wakeups = await createWakeups(fresh.database, logger);
  const runtime: Runtime = {
    database: fresh.database,
    logger,
    topics: options.topics ?? defaultTopics(),
    wakeups,
    leaseMs: options.leaseMs ?? 30_000,
    retentionMs: 7 * 86_400_000,
  };
  return {
    ...fresh,
    runtime,
    async cleanup() {
      await wakeups.close();
      await fresh.cleanup();
    },
  };
}

export interface TestApp extends TestRuntime {
  app: FastifyInstance;
  /** An authenticated request. */
  api(options: InjectOptions): Promise<LightMyRequestResponse>;
}

export async function freshApp(
  backend: Backend,
  options: { topics?: TopicRegistry; leaseMs?: number; rateLimits?: RateLimitOptions } = {},
): Promise<TestApp> {
  const fresh = await freshRuntime(backend, options);
  const app = await buildServer({
    ...fresh.runtime,
    credentials: new Credentials({ admin: [TEST_TOKEN], ingest: [INGEST_TOKEN] }),
    rateLimits: options.rateLimits,
  });
  await app.ready();
  return {
    ...fresh,
    app,
    api: (request) =>
      app.inject({ ...request, headers: { authorization: `Bearer ${TEST_TOKEN}`, ...request.headers } }),
    async cleanup() {
      await app.close();
      await fresh.cleanup();
    },
  };
}
