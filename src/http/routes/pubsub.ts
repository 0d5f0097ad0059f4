import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { transaction } from "../../db/database.js";
import { queueHealth } from "../../overview/queues.js";
import { listDeadLetters, redrive } from "../../pubsub/dead-letters.js";
import { publish } from "../../pubsub/publish.js";
import { idCursor, intParam, jsonObjectSchema, noQuery } from "../../validation.js";
import type { AppContext } from "../context.js";

/** One topic's backlog and throughput (src/overview/queues.ts). */
export const topicOutput = z
  .object({
    topic: z.string(),
    pending: z.number(),
    running: z.number().describe("claimed by a runner whose lease is still live"),
    expired: z
      .number()
      .describe(
        "claimed, but the lease ran out (runner died or stopped): pending again at the next lease recovery",
      ),
    failed: z.number().describe("dead letters"),
    oldest_pending_age_ms: z.number().nullable(),
    processed_last_minute: z.number(),
  })
  // A named component of the OpenAPI document (`#/components/schemas/Topic`).
  .meta({ id: "Topic" });

const tags = ["pubsub"];

const publishBody = z.strictObject({
  topic: z.string().min(1).describe("e.g. conversation_note_analysis"),
  key: z
    .unknown()
    .describe("an object; for conversation_note_analysis {conversation_fs_id} or {note_id, note_version}"),
  data: jsonObjectSchema.optional().describe("an object; defaults to {}"),
});

const publishedOutput = z.object({
  id: z.number(),
  topic: z.string(),
  key: z.record(z.string(), z.unknown()),
  deduplicated: z.boolean().describe("true: a pending message for this key existed and is returned instead"),
});

/** `POST /api/internal/pubsub/publish`, exactly as the runbook sends it (registered in the text/plain-JSON scope). */
export function publishRoute(app: FastifyInstance, context: AppContext): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    "/api/internal/pubsub/publish",
    {
      schema: {
        tags,
        summary:
          "Publish a message (a pending message with the same key is returned instead of a second one)",
        description:
          "Accepts JSON sent as application/json or, as browsers' fetch does with a string body, text/plain.",
        querystring: noQuery,
        // The runbook's requests send their JSON as text/plain (fetch with a string body).
        consumes: ["application/json", "text/plain"],
        body: publishBody,
        response: { 202: publishedOutput },
      },
    },
    async (request, reply) => {
      const published = await transaction(context.database, (trx) => publish(trx, context, request.body));
      return reply.code(202).send(published);
    },
  );
}

const deadLetterQuery = z.strictObject({
  topic: z.string().optional(),
  cursor: idCursor.optional(),
  limit: intParam(1, 1000).default(100),
});

const redriveBody = z
  .strictObject({
    ids: z
      .array(z.number().int().positive())
      .max(10_000)
      .optional()
      .describe("dead letters to redrive; all if omitted"),
    topic: z.string().optional().describe("only this topic's dead letters"),
  })
  .optional();

export function pubsubRoutes(app: FastifyInstance, context: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    "/api/internal/pubsub/dead-letters",
    {
      schema: {
        tags,
        summary: "Dead-lettered messages (attempts used up), oldest first",
        querystring: deadLetterQuery,
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.number(),
                topic: z.string(),
                key: z.record(z.string(), z.unknown()),
                data: z.record(z.string(), z.unknown()),
                attempts: z.number(),
                last_error: z.string().nullable(),
                created_at: z.string(),
                failed_at: z.string().nullable(),
              }),
            ),
            next_cursor: z.string().nullable(),
          }),
        },
      },
    },
    async (request) => {
      const { topic, cursor, limit } = request.query;
      if (topic !== undefined) context.topics.get(topic);
      return listDeadLetters(context.database.db, {
        topic,
        afterId: cursor === undefined ? undefined : Number(cursor),
        limit,
      });
    },
  );

  r.post(
    "/api/internal/pubsub/dead-letters/redrive",
    {
      schema: {
        tags,
        summary: "Give dead letters a fresh set of attempts (all, by topic, or by ids)",
        querystring: noQuery,
        body: redriveBody,
        response: { 200: z.object({ redriven: z.number(), folded: z.number() }) },
      },
    },
    async (request) => {
      const body = request.body ?? {};
      if (body.topic !== undefined) context.topics.get(body.topic);
      return redrive(context.database, body);
    },
  );

  r.get(
    "/api/internal/pubsub/topics",
    {
      schema: {
        tags,
        summary: "Each topic's backlog and throughput",
        querystring: noQuery,
        response: { 200: z.object({ topics: z.array(topicOutput) }) },
      },
    },
    async () => ({ topics: await queueHealth(context) }),
  );
}
