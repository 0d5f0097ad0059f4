import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { enqueueAnalysis } from "../../analysis/enqueue.js";
import { transaction } from "../../db/database.js";
import {
  conversationInput,
  conversationOutput,
  deleteConversation,
  getConversation,
  listConversations,
  putConversation,
} from "../../items/conversations.js";
import { listQuerySchema, toListRange } from "../../items/range.js";
import { idSchema, noQuery } from "../../validation.js";
import type { AppContext } from "../context.js";

const params = z.strictObject({ fs_id: idSchema });
const tags = ["conversations"];

export function conversationRoutes(app: FastifyInstance, context: AppContext): void {
  const { database } = context;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.put(
    "/api/conversations/:fs_id",
    {
      schema: {
        tags,
        summary: "Create or replace a conversation",
        params,
        querystring: noQuery,
        body: conversationInput,
        response: { 200: conversationOutput, 201: conversationOutput },
      },
    },
    async (request, reply) => {
      const { conversation, created } = await transaction(database, async (trx) => {
        const written = await putConversation(trx, request.params.fs_id, request.body);
        await enqueueAnalysis(trx, context, { conversation_fs_id: request.params.fs_id });
        return written;
      });
      return reply.code(created ? 201 : 200).send(conversation);
    },
  );

  r.get(
    "/api/conversations/:fs_id",
    {
      schema: {
        tags,
        summary: "A conversation with its labels",
        params,
        querystring: noQuery,
        response: { 200: conversationOutput },
      },
    },
    async (request) => getConversation(database.db, request.params.fs_id),
  );

  r.get(
    "/api/conversations",
    {
      schema: {
        tags,
        summary: "Conversations by last activity (updated_at), oldest first, keyset-paginated",
        querystring: listQuerySchema,
        response: {
          200: z.object({ items: z.array(conversationOutput), next_cursor: z.string().nullable() }),
        },
      },
    },
    async (request) => listConversations(database.db, toListRange(request.query)),
  );

  r.delete(
    "/api/conversations/:fs_id",
    {
      schema: {
        tags,
        summary: "Erase a conversation and everything derived from it",
        params,
        querystring: noQuery,
      },
    },
    async (request, reply) => {
      await transaction(database, (trx) => deleteConversation(trx, request.params.fs_id));
      return reply.code(204).send();
    },
  );
}
