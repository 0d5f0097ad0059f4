import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { MAX_FOLDS, runEvaluation } from "../../models/evaluation.js";
import { EvaluationThreads } from "../../models/evaluation-threads.js";
import { listModels } from "../../models/store.js";
import { noQuery } from "../../validation.js";
import type { AppContext } from "../context.js";

const tags = ["models"];
/** A labelled file posted for evaluation can be far larger than an item. */
const EVALUATE_BODY_LIMIT = 16 * 1024 * 1024;
const MAX_EXAMPLES = 50_000;

const example = z.strictObject({
  text: z.string().trim().min(1).max(100_000),
  labels: z.array(z.string().min(1).max(100)).max(100),
});

const evaluateBody = z.union([
  z.strictObject({
    examples: z.array(example).min(1).max(MAX_EXAMPLES),
    folds: z.number().int().min(2).max(MAX_FOLDS).optional(),
  }),
  z.strictObject({ people: z.literal(true) }),
]);

const metrics = z.object({ precision: z.number(), recall: z.number(), f1: z.number(), support: z.number() });

export function modelRoutes(app: FastifyInstance, { database }: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // Evaluations compute in worker threads, one at a time, so /healthz, other
  // requests and the runners keep the event loop. Before the server waits for
  // requests in flight to finish, running ones are stopped and answered 503.
  const threads = new EvaluationThreads();
  app.addHook("preClose", async () => threads.close());

  r.post(
    "/api/internal/labels/evaluate",
    {
      bodyLimit: EVALUATE_BODY_LIMIT,
      schema: {
        tags,
        summary:
          "Score the active model on examples, cross-validate on them, or score it against hand-set labels",
        description:
          "Body: {examples: [{text, labels}]} scores the active model (409 `no_active_model` without one); " +
          `add folds (2–${MAX_FOLDS}) to cross-validate on the examples instead; {people: true} scores the active ` +
          "model against the labels people set by hand. As `relabel eval --json`. One evaluation runs at a " +
          "time, a few wait for their turn; beyond them 503 `evaluation_unavailable` (retry later). One that " +
          "computes for more than 5 minutes is stopped: 422 `evaluation_too_long`.",
        querystring: noQuery,
        body: evaluateBody,
        response: {
          200: z.object({
            mode: z.enum(["active_model", "cross_validation", "people"]),
            model_version: z.number().optional(),
            examples: z.number(),
            single_label: z.boolean(),
            accuracy: z.number().optional(),
            micro_f1: z.number(),
            macro_f1: z.number(),
            per_label: z.record(z.string(), metrics),
            confusions: z.array(z.object({ actual: z.string(), predicted: z.string(), count: z.number() })),
          }),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      // A client that gives up (a timeout, a closed connection) frees its place and its thread.
      const gone = new AbortController();
      reply.raw.once("close", () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      return runEvaluation(
        database.db,
        "people" in body
          ? { people: true }
          : body.folds === undefined
            ? { examples: body.examples }
            : { examples: body.examples, folds: body.folds },
        threads.evaluate,
        gone.signal,
      );
    },
  );

  r.get(
    "/api/internal/models",
    {
      schema: {
        tags,
        summary: "The model versions, newest first; at most one is active",
        querystring: noQuery,
        response: {
          200: z.object({
            models: z.array(
              z.object({
                version: z.number(),
                created_at: z.string(),
                active: z.boolean(),
                labels: z.array(z.string()),
                examples: z.number(),
                sources: z.object({
                  taxonomy: z.number(),
                  manual: z.number(),
                  file: z.number(),
                  file_name: z.string().optional(),
                }),
                train_ms: z.number(),
                bytes: z.number(),
              }),
            ),
          }),
        },
      },
    },
    async () => ({ models: await listModels(database.db) }),
  );
}
