import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OpenAPIV3 } from "openapi-types";
import { pino } from "pino";
import { Credentials } from "../auth/credentials.js";
import { openDatabase } from "../db/database.js";
import { migrate } from "../db/migrate.js";
import { localWakeups } from "../pubsub/wakeups.js";
import { defaultTopics } from "../runners/topics.js";
import { buildServer } from "./server.js";

/**
 * The OpenAPI document `/openapi.json` serves, built without a server
 * listening: a server is built on a throwaway SQLite database, asked for its
 * document, and closed. For the linters (`npm run lint`) and the generated
 * client types.
 */
export async function buildOpenApiDocument(version?: string): Promise<OpenAPIV3.Document> {
  const dir = mkdtempSync(join(tmpdir(), "relabel-openapi-"));
  const database = openDatabase({ kind: "sqlite", path: join(dir, "relabel.db") });
  try {
    await migrate(database);
    const app = await buildServer({
      database,
      logger: pino({ level: "silent" }),
      topics: defaultTopics(),
      wakeups: localWakeups(),
      leaseMs: 30_000,
      retentionMs: 86_400_000,
      credentials: new Credentials({ admin: ["openapi-document-only"] }),
      version,
    });
    try {
      await app.ready();
      return app.swagger() as OpenAPIV3.Document;
    } finally {
      await app.close();
    }
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
