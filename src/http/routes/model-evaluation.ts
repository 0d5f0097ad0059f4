import type { FastifyInstance, FastifyReply } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Database } from "../../db/database.js";
import { type EvaluationRequest, MAX_FOLDS, runEvaluation } from "../../models/evaluation.js";
import { EvaluationCache } from "../../models/evaluation-cache.js";
import { EvaluationThreads } from "../../models/evaluation-threads.js";
import { evaluationReportOutput } from "../../models/schemas.js";
import { intParam, noQuery } from "../../validation.js";

const tags = ["models"];
/** A labelled file posted for evaluation can be far larger than an item. */
const EVALUATE_BODY_LIMIT = 16 * 1024 * 1024;
const MAX_EXAMPLES = 50_000;
const MAX_VERSION = 2_147_483_647;

export const versionParams = z.strictObject({ version: intParam(1, MAX_VERSION) });

const example = z.strictObject({
  text: z.string().trim().min(1).max(100_000),
  labels: z.array(z.string().min(1).max(100)).max(100),
});
const modelVersion = z
  .number()
  .int()
  .min(1)
  .max(MAX_VERSION)
  .optional()
  .describe("the version to score (GET /api/internal/models lists them); default the active one");

const evaluateBody = z.union([
  z.strictObject({
    examples: z.array(example).min(1).max(MAX_EXAMPLES),
    model_version: modelVersion,
  }),
  z.strictObject({
    examples: z.array(example).min(1).max(MAX_EXAMPLES),
    folds: z.number().int().min(2).max(MAX_FOLDS),
  }),
  z.strictObject({ people: z.literal(true), model_version: modelVersion }),
]);

/** Aborted when the client goes away (a timeout, a closed connection): it frees its place and its thread. */
function clientGone(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) gone.abort();
  });
  return gone.signal;
}

const LIMITS =
  "One evaluation computes at a time, in a worker thread, and a few wait for their turn; beyond them 503 " +
  "`evaluation_unavailable` (retry later). One that computes for more than 5 minutes is stopped: 422 `evaluation_too_long`.";

/**
 * Evaluations compute in worker threads, one at a time, so /healthz, other
 * requests and the runners keep the event loop. Before the server waits for
 * requests in flight to finish, running ones are stopped and answered 503.
 */
export function evaluationRoutes(app: FastifyInstance, database: Database): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const threads = new EvaluationThreads();
  app.addHook("preClose", async () => threads.close());
  // Scoring against hand-set labels, reused while the model and those labels are the same.
  const cache = new EvaluationCache();

  r.post(
    "/api/internal/labels/evaluate",
    {
      bodyLimit: EVALUATE_BODY_LIMIT,
      schema: {
        tags,
        summary:
          "Score a model on examples, cross-validate on them, or score a model against hand-set labels",
        description:
          "Body: {examples: [{text, labels}]} scores the active model (409 `no_active_model` without one); add " +
          "model_version to score that version instead (404 `model_not_found`). {examples, folds} (2–" +
          `${MAX_FOLDS}) cross-validates on the examples. {people: true, model_version?} scores the active model ` +
          "(or that version) against the labels people set by hand (409 `no_ground_truth` if there are none " +
          `it knows). As \`relabel eval --json\`. ${LIMITS}`,
        querystring: noQuery,
        body: evaluateBody,
        response: { 200: evaluationReportOutput },
      },
    },
    async (request, reply) =>
      runEvaluation(database.db, toRequest(request.body), {
        evaluator: threads.evaluate,
        signal: clientGone(reply),
        cache,
      }),
  );

  r.get(
    "/api/internal/models/:version/evaluation",
    {
      schema: {
        tags,
        summary: "How a model version agrees with the labels people set by hand",
        description:
          "The version scored against every item labeled by hand, with the labels people added that the version " +
          "knows, in the shape of POST /api/internal/labels/evaluate (mode `people`). If it was trained on those " +
          "items, this is agreement on data it saw: cross-validate for an honest figure. 404 `model_not_found`; " +
          "409 `no_ground_truth` when nobody has labeled an item by hand with a label it knows (label items by hand, " +
          "or POST examples to /api/internal/labels/evaluate with model_version). The answer is reused while the " +
          `version and the hand-set labels (and their items' text) stay the same. ${LIMITS}`,
        params: versionParams,
        querystring: noQuery,
        response: { 200: evaluationReportOutput },
      },
    },
    async (request, reply) =>
      runEvaluation(
        database.db,
        { people: true, version: request.params.version },
        { evaluator: threads.evaluate, signal: clientGone(reply), cache },
      ),
  );
}

function toRequest(body: z.infer<typeof evaluateBody>): EvaluationRequest {
  if ("people" in body) return { people: true, version: body.model_version };
  if ("folds" in body) return { examples: body.examples, folds: body.folds };
  return { examples: body.examples, version: body.model_version };
}
