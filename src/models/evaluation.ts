import type { EvalReport, Example } from "../classifier/index.js";
import type { Executor } from "../db/database.js";
import { AppError } from "../errors.js";
import { type Evaluator, inline } from "./evaluation-job.js";
import { loadActiveModelBytes } from "./store.js";
import { peopleExamples } from "./training.js";

export const MAX_FOLDS = 10;

export type EvaluationRequest =
  /** Score the active model on these examples. */
  | { examples: Example[] }
  /** Cross-validate: train on k−1 folds of the examples, score on the rest, k times. */
  | { examples: Example[]; folds: number }
  /** Score the active model against the labels people set by hand. */
  | { people: true };

export type EvaluationReport = EvalReport & {
  /** The model scored; absent for a cross-validation (it trains its own). */
  model_version?: number;
  mode: "active_model" | "cross_validation" | "people";
};

/**
 * Checks the request and reads what it needs from the database here, on the
 * caller's thread; the training and scoring go to `evaluator`: a worker
 * thread in the server (evaluation-threads.ts), inline in the CLI.
 */
export async function runEvaluation(
  ex: Executor,
  request: EvaluationRequest,
  evaluator: Evaluator = inline,
  signal?: AbortSignal,
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
  const model = await loadActiveModelBytes(ex);
  if (model === undefined) throw new AppError("no_active_model");
  if ("people" in request) {
    const known = new Set(model.labels);
    const examples = (await peopleExamples(ex))
      .map((e) => ({ ...e, labels: e.labels.filter((l) => known.has(l)) }))
      .filter((e) => e.labels.length > 0);
    if (examples.length === 0) {
      throw new AppError(
        "invalid_training_data",
        "Nobody has labeled an item by hand with a label this model knows.",
      );
    }
    const report = await evaluator({ kind: "score", model: model.bytes, examples }, signal);
    return { ...report, model_version: model.version, mode: "people" };
  }
  checkExamples(request.examples);
  const report = await evaluator({ kind: "score", model: model.bytes, examples: request.examples }, signal);
  return { ...report, model_version: model.version, mode: "active_model" };
}

function checkExamples(examples: Example[]): void {
  if (examples.length === 0) throw new AppError("invalid_training_data", "There are no examples to score.");
}
