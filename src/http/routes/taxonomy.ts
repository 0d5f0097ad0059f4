import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { taxonomyInput } from "../../analysis/taxonomy.js";
import { transaction } from "../../db/database.js";
import { currentTaxonomy, listTaxonomyVersions, saveTaxonomy } from "../../labels/taxonomy-store.js";
import { diffTaxonomies } from "../../taxonomy/diff.js";
import { parseYamlBody, YAML_TYPES } from "../../taxonomy/text.js";
import { taxonomyVersion } from "../../taxonomy/version.js";
import { intParam, noQuery } from "../../validation.js";
import type { AppContext } from "../context.js";
import { taxonomyPreviewRoutes } from "./taxonomy-preview.js";

const tags = ["taxonomy"];
const taxonomyOutput = z
  .object({
    version: z.number().describe("0: no taxonomy yet"),
    created_at: z.string().nullable(),
    labels: taxonomyInput.shape.labels,
  })
  // A named component of the OpenAPI document (`#/components/schemas/Taxonomy`).
  .meta({ id: "Taxonomy" });

const versionParam = intParam(0, Number.MAX_SAFE_INTEGER);
const fieldValue = z.union([z.string(), z.number(), z.array(z.string()), z.null()]);
const versionRef = z.object({ version: z.number(), created_at: z.string().nullable() });
const diffOutput = z.object({
  from: versionRef,
  to: versionRef,
  added: taxonomyInput.shape.labels.describe("labels only `to` has (a rename is a removal and an addition)"),
  removed: taxonomyInput.shape.labels.describe("labels only `from` has"),
  changed: z.array(
    z.object({
      name: z.string(),
      changes: z.array(
        z.object({
          field: z.string().describe("e.g. description, applies_to, rules.keywords, rules.regex, examples"),
          before: fieldValue.describe("null: not set"),
          after: fieldValue,
          added: z.array(z.string()).optional().describe("a list's entries only `after` has"),
          removed: z.array(z.string()).optional().describe("a list's entries only `before` has"),
        }),
      ),
    }),
  ),
  unchanged: z.number().describe("labels in both versions, identical"),
});

export function taxonomyRoutes(app: FastifyInstance, context: AppContext): void {
  const { database } = context;
  const r = app.withTypeProvider<ZodTypeProvider>();
  // The dry run of a proposed taxonomy (POST /api/internal/taxonomy/preview), in a file of its own.
  taxonomyPreviewRoutes(app, context);

  // PUT takes YAML as well as JSON (as `relabel taxonomy apply` does): only this route reads YAML.
  app.register(async (scoped) => {
    scoped.addContentTypeParser(YAML_TYPES, { parseAs: "buffer" }, parseYamlBody);
    const put = scoped.withTypeProvider<ZodTypeProvider>();
    put.put(
      "/api/taxonomy",
      {
        schema: {
          tags,
          summary: "Replace the whole taxonomy; makes a new version (re-labels nothing by itself)",
          description:
            "Body: {labels: [{name, description?, applies_to?, rules?: {keywords, all_keywords, none_keywords, regex, scope}, examples?}]}. " +
            "Send it as application/json, or as YAML text (application/yaml; a syntax error is an issue with its `line`). " +
            "A taxonomy that does not compile is a 400 `invalid_taxonomy` naming each label and problem; the current one stays.",
          consumes: ["application/json", ...YAML_TYPES],
          querystring: noQuery,
          // Checked by compileTaxonomy, which names the label of every problem.
          body: z.unknown(),
          response: { 200: taxonomyOutput },
        },
      },
      async (request) => transaction(database, (trx) => saveTaxonomy(database, trx, request.body)),
    );
  });

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
  r.get(
    "/api/taxonomy/versions/:version",
    {
      schema: {
        tags,
        summary: "One taxonomy version, as GET /api/taxonomy shows the current one",
        description: "Version 0 is the empty taxonomy a database starts with. An unknown version is a 404.",
        params: z.strictObject({ version: versionParam }),
        querystring: noQuery,
        response: { 200: taxonomyOutput },
      },
    },
    async (request) => taxonomyVersion(database.db, request.params.version),
  );

  r.get(
    "/api/taxonomy/diff",
    {
      schema: {
        tags,
        summary:
          "What changed between two taxonomy versions: labels added, removed and changed, field by field",
        description:
          "Lists (keywords, regexes, applies_to, detect, examples) compare as sets: a reordering is no change. " +
          "Defaults filled in on both sides, so a field a version left to its default differs only if the value does.",
        querystring: z.strictObject({
          from: versionParam.describe("a version (0: the empty taxonomy)"),
          to: versionParam.optional().describe("a version; default the current one"),
        }),
        response: { 200: diffOutput },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      const [before, after] = await Promise.all([
        taxonomyVersion(database.db, from),
        to === undefined ? currentTaxonomy(database.db) : taxonomyVersion(database.db, to),
      ]);
      return {
        from: { version: before.version, created_at: before.created_at },
        to: { version: after.version, created_at: after.created_at },
        ...diffTaxonomies(before.labels, after.labels),
      };
    },
  );
}
