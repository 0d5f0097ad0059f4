import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { TICK_CAPS, TICK_DEFAULTS, tick } from "../../runners/tick.js";
import { intParam, noBody } from "../../validation.js";
import type { AppContext } from "../context.js";

const tickQuery = z.strictObject({
  max_messages: intParam(1, TICK_CAPS.maxMessages)
    .default(TICK_DEFAULTS.maxMessages)
    .describe(
      `messages to process at most (default ${TICK_DEFAULTS.maxMessages}, cap ${TICK_CAPS.maxMessages})`,
    ),
  max_ms: intParam(1, TICK_CAPS.maxMs)
    .default(TICK_DEFAULTS.maxMs)
    .describe(
      `time budget, checked between batches (default ${TICK_DEFAULTS.maxMs}, cap ${TICK_CAPS.maxMs})`,
    ),
});

const topicTick = z.object({
  processed: z.number(),
  succeeded: z.number(),
  failed: z.number(),
  dead_lettered: z.number(),
  remaining: z.number(),
});

/** `POST /api/tick/runners`, exactly as the runbook calls it (no body). */
export function tickRoute(app: FastifyInstance, context: AppContext): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    "/api/tick/runners",
    {
      schema: {
        tags: ["runners"],
        summary: "Run one bounded pass of every runner; tick again while `remaining` > 0",
        description:
          "`remaining` counts every message not yet final (due, backing off, running). When it is 0 there is nothing left; " +
          "when only backoffs remain, `next_due_in_ms` says how long to wait.",
        querystring: tickQuery,
        // The runbook's requests send their JSON as text/plain (fetch with a string body).
        consumes: ["application/json", "text/plain"],
        body: noBody("give max_messages and max_ms in the query string"),
        response: {
          200: topicTick.omit({ remaining: true }).extend({
            remaining: z.number(),
            next_due_in_ms: z.number().nullable(),
            duration_ms: z.number(),
            topics: z.record(z.string(), topicTick),
          }),
        },
      },
    },
    async (request) =>
      tick(context, { maxMessages: request.query.max_messages, maxMs: request.query.max_ms }),
  );
}
