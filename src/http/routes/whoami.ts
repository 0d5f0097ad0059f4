import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { noQuery } from "../../validation.js";

/** Who a request is authenticated as: how the web app knows which actions to offer. */
export function whoamiRoute(app: FastifyInstance): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    "/api/whoami",
    {
      schema: {
        tags: ["auth"],
        summary: "The scope of the token or browser session this request is authenticated with",
        description:
          "`admin` reaches every route; `ingest` writes and reads items and labels only. Never echoes the token.",
        querystring: noQuery,
        response: { 200: z.object({ scope: z.enum(["admin", "ingest"]) }) },
      },
    },
    async (request) => ({ scope: request.principal?.scope ?? "ingest" }),
  );
}
