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
import { itemBody } from "../item-body.js";

const params = z.strictObject({ fs_id: idSchema });
/** A named component of the OpenAPI document (`#/components/schemas/Conversation`). */
const conversation = conversationOutput.meta({ id: "Conversation" });
const tags = ["conversations"];

export function conversationRoutes(app: FastifyInstance, context: AppContext): void {
  const { database } = context;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.put(
    "/api/conversations/:fs_id",
    {
      ...itemBody,
      schema: {
        tags,
        summary: "Create or replace a conversation",
        params,
        querystring: noQuery,
        body: conversationInput,
        response: { 200: conversation, 201: conversation },
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
        response: { 200: conversation },
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
          200: z.object({ items: z.array(conversation), next_cursor: z.string().nullable() }),
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
        response: { 204: z.null().describe("Erased; no body") },
      },
    },
    async (request, reply) => {
      await transaction(database, (trx) => deleteConversation(trx, request.params.fs_id));
      return reply.code(204).send(null);
    },
  );
}
