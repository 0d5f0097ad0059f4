import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { transaction } from "../../db/database.js";
import { listQuerySchema, toListRange } from "../../items/range.js";
import { type ItemType, labelOutput, labelsOf } from "../../labels/assignments.js";
import { labelHistory } from "../../labels/history.js";
import { addManualLabel, assertItem, handBack, removeManualLabel } from "../../labels/manual.js";
import { labelItems, labelStats } from "../../labels/queries.js";
import { idSchema, intParam, nameSchema, noQuery } from "../../validation.js";
import type { AppContext } from "../context.js";

const tags = ["labels"];
// No control characters or lone surrogates: PostgreSQL cannot even compare a NUL, so both backends refuse them alike.
const labelName = nameSchema(100).describe(
  "hierarchical, e.g. billing/refund (URL-encoded as billing%2Frefund)",
);

const KINDS = [
  { type: "conversation", path: "conversations", param: "fs_id" },
  { type: "note", path: "notes", param: "note_id" },
] as const;

/** Manual labels, label history, and queries by label. */
export function labelRoutes(app: FastifyInstance, context: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { database } = context;

  for (const kind of KINDS) {
    const base = `/api/${kind.path}/:id/labels`;
    const params = z.strictObject({ id: idSchema });
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
          addManualLabel(trx, database.dialect, kind.type, request.params.id, request.body.name),
        );
        return current(request.params.id);
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
          removeManualLabel(trx, database.dialect, kind.type, request.params.id, request.params.name),
        );
        return current(request.params.id);
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
          handBack(trx, database.dialect, context, kind.type, request.params.id, request.params.name),
        );
        return current(request.params.id);
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
        },
      },
      async (request) => {
        // An item that does not exist has no history to show: a 404, as for its other routes.
        await assertItem(database.db, kind.type, request.params.id);
        return { items: await labelHistory(database.db, kind.type, request.params.id, request.query.limit) };
      },
    );
  }

  r.get(
    "/api/labels/:name/items",
    {
      schema: {
        tags,
        summary: "Items carrying a label, by last activity, keyset-paginated",
        params: z.strictObject({ name: labelName }),
        querystring: listQuerySchema.extend({ type: z.enum(["conversation", "note"]).optional() }),
      },
    },
    async (request) => {
      const range = toListRange(request.query);
      return labelItems(database.db, request.params.name, {
        ...range,
        type: request.query.type as ItemType | undefined,
      });
    },
  );

  r.get(
    "/api/labels/stats",
    {
      schema: {
        tags,
        summary: "How many conversations and notes carry each label",
        querystring: noQuery,
        response: {
          200: z.object({
            labels: z.array(
              z.object({
                name: z.string(),
                conversations: z.number(),
                notes: z.number(),
                manual: z.number(),
              }),
            ),
          }),
        },
      },
    },
    async () => ({ labels: await labelStats(database.db) }),
  );
}
