import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { transaction } from "../../db/database.js";
import { itemTypeOf, itemTypeQuery, listQuerySchema, toListRange } from "../../items/range.js";
import { labelOutput, labelsOf } from "../../labels/assignments.js";
import { labelHistory } from "../../labels/history.js";
import { addManualLabel, assertItem, handBack, removeManualLabel } from "../../labels/manual.js";
import { labelItems, labelRollup, labelStats } from "../../labels/queries.js";
import { idSchema, intParam, nameSchema, noQuery } from "../../validation.js";
import type { AppContext } from "../context.js";

const tags = ["labels"];
// No control characters or lone surrogates: PostgreSQL cannot even compare a NUL, so both backends refuse them alike.
const labelName = nameSchema(100).describe(
  "hierarchical, e.g. billing/refund (URL-encoded as billing%2Frefund)",
);
// In a query by label, a parent stands for itself and every label under it.
const labelOrParent = nameSchema(100).describe(
  "a label, or a parent of labels: billing means billing and every label under it (billing/refund, billing/refund/partial…); " +
    "URL-encode the slashes (billing%2Frefund)",
);

const statOutput = z.object({
  name: z.string(),
  conversations: z.number(),
  notes: z.number(),
  manual: z.number().describe("of those, set by a person"),
  retired: z
    .boolean()
    .describe("items carry it, but the current taxonomy no longer has it (a person can remove it)"),
});

const historyOutput = z.object({
  at: z.string(),
  kind: z
    .enum(["analysis", "manual"])
    .describe("analysis: a run of the analyzers; manual: a person's decision"),
  added: z.array(z.string()),
  removed: z.array(z.string()),
  run_id: z.number().optional(),
  message_id: z.number().nullable().optional(),
  job_id: z.number().nullable().optional().describe("the reanalysis job behind the run, if any"),
  taxonomy_version: z.number().nullable().optional(),
  analyzer_version: z.string().nullable().optional(),
  model_version: z.number().nullable().optional(),
  note_version: z.number().nullable().optional(),
  applied: z
    .boolean()
    .optional()
    .describe("false: an older note version was analyzed, the note's labels left alone"),
  action: z.enum(["add", "remove", "override"]).optional(),
  label: z.string().optional().describe("manual: the label decided on"),
});

const labeledItemOutput = z.object({
  type: z.enum(["conversation", "note"]),
  id: z.string().describe("the conversation's fs_id or the note's note_id"),
  updated_at: z.string().describe("last activity"),
  label: z
    .string()
    .describe("the label it carries: the name asked for, or one under it (the most confident if several)"),
  source: z.enum(["rule", "model", "llm", "manual"]),
  confidence: z.number(),
});

const KINDS = [
  { type: "conversation", path: "conversations", param: "fs_id" },
  { type: "note", path: "notes", param: "note_id" },
] as const;

/** Manual labels, label history, and queries by label. */
export function labelRoutes(app: FastifyInstance, context: AppContext): void {
  for (const kind of KINDS) itemLabelRoutes(app, context, kind);
  queryRoutes(app, context);
}

/** The label routes of one kind of item, under its own path parameter (fs_id, note_id) as on its other routes. */
function itemLabelRoutes(app: FastifyInstance, context: AppContext, kind: (typeof KINDS)[number]): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { database } = context;
  const base = `/api/${kind.path}/:${kind.param}/labels`;
  const params = z.strictObject({ [kind.param]: idSchema });
  // The schema above requires it, so it is always there.
  const itemId = (p: Record<string, string>) => p[kind.param] as string;
  const labelOf = (p: Record<string, string>) => p.name as string;
  const named = params.extend({ name: labelName });
  const current = async (id: string) => ({
    labels: (await labelsOf(database.db, kind.type, [id])).get(id) ?? [],
  });
  const labelsResponse = { 200: z.object({ labels: z.array(labelOutput) }) };

  r.post(
    base,
    {
      schema: {
        tags,
        summary: `Add a label to a ${kind.type} by hand (kept through every re-analysis)`,
        params,
        querystring: noQuery,
        body: z.strictObject({ name: labelName }),
        response: labelsResponse,
      },
    },
    async (request) => {
      await transaction(database, (trx) =>
        addManualLabel(trx, database.dialect, kind.type, itemId(request.params), request.body.name),
      );
      return current(itemId(request.params));
    },
  );
  r.delete(
    `${base}/:name`,
    {
      schema: {
        tags,
        summary: `Remove a label from a ${kind.type} by hand (no rule adds it back)`,
        params: named,
        querystring: noQuery,
        response: labelsResponse,
      },
    },
    async (request) => {
      await transaction(database, (trx) =>
        removeManualLabel(trx, database.dialect, kind.type, itemId(request.params), labelOf(request.params)),
      );
      return current(itemId(request.params));
    },
  );
  r.delete(
    `${base}/:name/override`,
    {
      schema: {
        tags,
        summary: `Hand a label of a ${kind.type} back to the analyzers (and re-analyze it)`,
        params: named,
        querystring: noQuery,
        response: labelsResponse,
      },
    },
    async (request) => {
      await transaction(database, (trx) =>
        handBack(trx, database.dialect, context, kind.type, itemId(request.params), labelOf(request.params)),
      );
      return current(itemId(request.params));
    },
  );
  r.get(
    `${base}/history`,
    {
      schema: {
        tags,
        summary: `What each analysis run and each manual decision changed on a ${kind.type}, newest first`,
        params,
        querystring: z.strictObject({ limit: intParam(1, 1000).default(100) }),
        response: { 200: z.object({ items: z.array(historyOutput) }) },
      },
    },
    async (request) => {
      const id = itemId(request.params);
      // An item that does not exist has no history to show: a 404, as for its other routes.
      await assertItem(database.db, kind.type, id);
      return { items: await labelHistory(database.db, kind.type, id, request.query.limit) };
    },
  );
}

function queryRoutes(app: FastifyInstance, { database }: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/api/labels/:name/items",
    {
      schema: {
        tags,
        summary: "Items carrying a label, or any label under a parent, by last activity, keyset-paginated",
        description:
          "`name` is a label or a parent: billing lists the items carrying billing, billing/refund, billing/invoice… " +
          "once each. A label dropped from the taxonomy is found while items carry it. A name that is neither in " +
          "the current taxonomy nor carried by any item (nor a parent of one) is a 404 `label_not_found`.",
        params: z.strictObject({ name: labelOrParent }),
        querystring: listQuerySchema.extend({ type: itemTypeQuery }),
        response: {
          200: z.object({ items: z.array(labeledItemOutput), next_cursor: z.string().nullable() }),
        },
      },
    },
    async (request) => {
      const range = toListRange(request.query);
      return labelItems(database.db, request.params.name, { ...range, type: itemTypeOf(request.query.type) });
    },
  );

  r.get(
    "/api/labels/stats",
    {
      schema: {
        tags,
        summary: "How many conversations and notes carry each label",
        description:
          "Every label some item carries, including labels the current taxonomy no longer has (`retired`). With " +
          "`label`, only that label and the labels under it, and `total`: the items carrying any of them, each " +
          "counted once. An unknown `label` is a 404 `label_not_found`.",
        querystring: z.strictObject({ label: labelOrParent.optional() }),
        response: {
          200: z.object({
            labels: z.array(statOutput),
            total: z
              .object({
                name: z.string(),
                conversations: z.number(),
                notes: z.number(),
                manual: z.number().describe("items where a person set one of these labels"),
              })
              .optional()
              .describe("with label: the items carrying it or any label under it, each counted once"),
          }),
        },
      },
    },
    async (request) => {
      const name = request.query.label;
      if (name === undefined) return { labels: await labelStats(database.db) };
      const labels = await labelStats(database.db, name);
      return { labels, total: await labelRollup(database.db, name) };
    },
  );
}
