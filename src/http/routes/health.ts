import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import { isMigrated } from "../../db/migrate.js";
import { AppError } from "../../errors.js";
import type { AppContext } from "../context.js";
import { sendError } from "../errors.js";

/** Open probes for orchestrators: liveness says the process is up, readiness that it can serve. */
export function healthRoutes(app: FastifyInstance, { database }: AppContext): void {
  app.get("/healthz", { schema: { tags: ["health"], summary: "The process is up" } }, async () => ({
    status: "ok",
  }));

  app.get(
    "/readyz",
    { schema: { tags: ["health"], summary: "The database is reachable and fully migrated" } },
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
      return { status: "ok", database: database.dialect };
    },
  );
}
