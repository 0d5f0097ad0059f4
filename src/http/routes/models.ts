import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { modelSummaryOutput } from "../../models/schemas.js";
import { activateVersion, listModels } from "../../models/store.js";
import { noBody, noQuery } from "../../validation.js";
import type { AppContext } from "../context.js";
import { evaluationRoutes, versionParams } from "./model-evaluation.js";

const tags = ["models"];

export function modelRoutes(app: FastifyInstance, { database }: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  evaluationRoutes(app, database);

  r.get(
    "/api/internal/models",
    {
      schema: {
        tags,
        summary: "The model versions, newest first; at most one is active",
        querystring: noQuery,
        response: { 200: z.object({ models: z.array(modelSummaryOutput) }) },
      },
    },
    async () => ({ models: await listModels(database.db) }),
  );

  r.post(
    "/api/internal/models/:version/activate",
    {
      schema: {
        tags,
        summary: "Make a model version the one new analyses use (roll back: activate an older one)",
        description:
          "As `relabel model activate N`. Runners use it from their next batch, without a restart; an analysis " +
          "made with the version it replaces writes nothing and is asked again. Existing labels stay until " +
          "re-labeled: POST /api/internal/labels/reanalysis?dry_run=true shows what would change. Activating " +
          "the active version changes nothing. Answers the version as GET /api/internal/models lists it; " +
          "404 `model_not_found` for a version there is not.",
        params: versionParams,
        querystring: noQuery,
        body: noBody("the version is in the path"),
        response: { 200: modelSummaryOutput },
      },
    },
    async (request) => activateVersion(database, request.params.version),
  );
}
