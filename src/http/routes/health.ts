import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { sql } from "kysely";
import { z } from "zod";
import { isMigrated } from "../../db/migrate.js";
import { AppError } from "../../errors.js";
import type { AppContext } from "../context.js";
import { sendError } from "../errors.js";

/** Open probes for orchestrators: liveness says the process is up, readiness that it can serve. */
export function healthRoutes(app: FastifyInstance, { database }: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/healthz",
    {
      schema: {
        tags: ["health"],
        summary: "The process is up",
        response: { 200: z.object({ status: z.literal("ok") }) },
      },
    },
    async () => ({ status: "ok" as const }),
  );

  r.get(
    "/readyz",
    {
      schema: {
        tags: ["health"],
        summary: "The database is reachable and fully migrated",
        description: "503 `database_unavailable` while it is not (the message says which).",
        response: { 200: z.object({ status: z.literal("ok"), database: z.enum(["sqlite", "postgres"]) }) },
      },
    },
    async (request, reply) => {
      try {
        await sql`select 1`.execute(database.db);
      } catch {
        return sendError(new AppError("database_unavailable"), request, reply);
      }
      if (!(await isMigrated(database))) {
        const notMigrated = new AppError(
          "database_unavailable",
          "The database schema is not migrated yet: run `relabel migrate`.",
        );
        return sendError(notMigrated, request, reply);
      }
      return { status: "ok" as const, database: database.dialect };
    },
  );
}
