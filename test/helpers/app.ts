import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { pino } from "pino";
import { buildServer } from "../../src/http/server.js";
import { type Backend, type FreshDatabase, freshDatabase } from "./db.js";

export const TEST_TOKEN = "test-token-0123456789abcdef";

export interface TestApp extends FreshDatabase {
  app: FastifyInstance;
  /** An authenticated request. */
  api(options: InjectOptions): Promise<LightMyRequestResponse>;
}

export async function freshApp(backend: Backend): Promise<TestApp> {
  const fresh = await freshDatabase(backend);
  const app = await buildServer({
    database: fresh.database,
    logger: pino({ level: "silent" }),
    token: TEST_TOKEN,
  });
  await app.ready();
  return {
    ...fresh,
    app,
    api: (options) =>
      app.inject({ ...options, headers: { authorization: `Bearer ${TEST_TOKEN}`, ...options.headers } }),
    async cleanup() {
      await app.close();
      await fresh.cleanup();
    },
  };
}
