import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { taxonomyInput } from "../../analysis/taxonomy.js";
import { transaction } from "../../db/database.js";
import { currentTaxonomy, listTaxonomyVersions, saveTaxonomy } from "../../labels/taxonomy-store.js";
import { noQuery } from "../../validation.js";
import type { AppContext } from "../context.js";

const tags = ["taxonomy"];
const taxonomyOutput = z.object({
  version: z.number().describe("0: no taxonomy yet"),
  created_at: z.string().nullable(),
  labels: taxonomyInput.shape.labels,
});

export function taxonomyRoutes(app: FastifyInstance, { database }: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.put(
    "/api/taxonomy",
    {
      schema: {
        tags,
        summary: "Replace the whole taxonomy; makes a new version (re-labels nothing by itself)",
        description:
          "Body: {labels: [{name, description?, applies_to?, rules?: {keywords, all_keywords, none_keywords, regex, scope}, examples?}]}. " +
          "A taxonomy that does not compile is a 400 `invalid_taxonomy` naming each label and problem; the current one stays.",
        querystring: noQuery,
        // Checked by compileTaxonomy, which names the label of every problem.
        body: z.unknown(),
        response: { 200: taxonomyOutput },
      },
    },
    async (request) => transaction(database, (trx) => saveTaxonomy(database, trx, request.body)),
  );

  r.get(
    "/api/taxonomy",
    {
      schema: {
        tags,
        summary: "The current taxonomy",
        querystring: noQuery,
        response: { 200: taxonomyOutput },
      },
    },
    async () => currentTaxonomy(database.db),
  );

  r.get(
    "/api/taxonomy/versions",
    {
      schema: {
        tags,
        summary: "Every taxonomy version, newest first",
        querystring: noQuery,
        response: {
          200: z.object({
            versions: z.array(
              z.object({ version: z.number(), created_at: z.string(), label_count: z.number() }),
            ),
          }),
        },
      },
    },
    async () => ({ versions: await listTaxonomyVersions(database.db) }),
  );
}
