import type { EvalReport, Example } from "../classifier/index.js";
import type { Executor } from "../db/database.js";
import { AppError } from "../errors.js";
import type { EvaluationCache } from "./evaluation-cache.js";
import { type Evaluator, inline } from "./evaluation-job.js";
import { loadModelBytes, requireModelBytes, type StoredModel } from "./store.js";
import { peopleExamples } from "./training.js";

export const MAX_FOLDS = 10;

export type EvaluationRequest =
  /** Score a model on these examples: `version`, or the active one. */
  | { examples: Example[]; version?: number }
  /** Cross-validate: train on k−1 folds of the examples, score on the rest, k times. */
  | { examples: Example[]; folds: number }
  /** Score a model (`version`, or the active one) against the labels people set by hand. */
  | { people: true; version?: number };

export type EvaluationMode =
  /** The active model on the examples given. */
  | "active_model"
  /** The version asked for on the examples given. */
  | "model"
  | "cross_validation"
  /** A model (the active one, or the version asked for) against the labels people set by hand. */
  | "people";

export type EvaluationReport = EvalReport & {
  /** The model scored; absent for a cross-validation (it trains its own). */
  model_version?: number;
  mode: EvaluationMode;
};

export interface EvaluationOptions {
  /** Where the training and scoring run: inline by default (the CLI), a worker thread in the server. */
  evaluator?: Evaluator;
  signal?: AbortSignal;
  /** Reports of scoring against hand-set labels, reused while the model and those labels are the same. */
  cache?: EvaluationCache;
}

/**
 * Checks the request and reads what it needs from the database here, on the
 * caller's thread; the training and scoring go to the evaluator: a worker
 * thread in the server (evaluation-threads.ts), inline in the CLI.
 */
export async function runEvaluation(
  ex: Executor,
  request: EvaluationRequest,
  { evaluator = inline, signal, cache }: EvaluationOptions = {},
): Promise<EvaluationReport> {
  if ("folds" in request) {
    checkExamples(request.examples);
    if (request.examples.length < request.folds) {
      throw new AppError(
        "invalid_training_data",
        `${request.folds} folds need at least ${request.folds} examples.`,
      );
    }
    const job = { kind: "cross_validation", examples: request.examples, folds: request.folds } as const;
    return { ...(await evaluator(job, signal)), mode: "cross_validation" };
  }
  const model = await modelToScore(ex, request.version);
  if ("people" in request) {
    const examples = await groundTruth(ex, model);
    const key = cache?.key(model, examples);
    const cached = key === undefined ? undefined : cache?.get(key);
    if (cached !== undefined) return cached;
    const report = await evaluator({ kind: "score", model: model.bytes, examples }, signal);
    const result: EvaluationReport = { ...report, model_version: model.version, mode: "people" };
    if (key !== undefined) cache?.set(key, result);
    return result;
  }
  checkExamples(request.examples);
  const report = await evaluator({ kind: "score", model: model.bytes, examples: request.examples }, signal);
  const mode = request.version === undefined ? "active_model" : "model";
  return { ...report, model_version: model.version, mode };
}

/** The version asked for (404 `model_not_found`), or the active one (409 `no_active_model`). */
async function modelToScore(
  ex: Executor,
  version: number | undefined,
): Promise<StoredModel & { createdAt: number }> {
  if (version !== undefined) return requireModelBytes(ex, version);
  const active = await loadModelBytes(ex, "active");
  if (active === undefined) throw new AppError("no_active_model");
  return active;
}

/**
 * The ground truth people give: each item labeled by hand, with the labels they
 * added that the model knows (it cannot be faulted for a label it never learned).
 * If the model was trained on these items, scoring it here measures agreement on
 * data it saw, not how it does on new items.
 */
async function groundTruth(ex: Executor, model: StoredModel): Promise<Example[]> {
  const labeled = await peopleExamples(ex);
  const other =
    "score it on examples of your own: POST /api/internal/labels/evaluate with {examples} (or `relabel eval --data FILE`)";
  if (labeled.length === 0) {
    throw new AppError(
      "no_ground_truth",
      `Nobody has labeled an item by hand yet, so there is nothing to compare model version ${model.version} with. ` +
        `Label some items by hand (POST /api/conversations/:fs_id/labels or /api/notes/:note_id/labels), or ${other}.`,
    );
  }
  const known = new Set(model.labels);
  const examples = labeled
    .map((e) => ({ ...e, labels: e.labels.filter((l) => known.has(l)) }))
    .filter((e) => e.labels.length > 0);
  if (examples.length === 0) {
    throw new AppError(
      "no_ground_truth",
      `None of the ${labeled.length} items labeled by hand carries a label model version ${model.version} knows ` +
        `(${model.labels.slice(0, 5).join(", ")}${model.labels.length > 5 ? ", …" : ""}). ` +
        `Label items by hand with its labels, or ${other}.`,
    );
  }
  return examples;
}

function checkExamples(examples: Example[]): void {
  if (examples.length === 0) throw new AppError("invalid_training_data", "There are no examples to score.");
}
