import {
  crossValidate,
  type EvalReport,
  type Example,
  evaluate,
  TextClassifier,
} from "../classifier/index.js";

/**
 * The CPU-bound part of an evaluation, as plain data: what a worker thread
 * receives (structured clone: no classes, no database handles). The
 * database reads that feed it (the active model's bytes, people's labels)
 * happen before, on the caller's thread.
 */
export type EvaluationJob =
  /** Train on k−1 folds, score the rest, k times. */
  | { kind: "cross_validation"; examples: Example[]; folds: number; seed?: number }
  /** Score a stored model (its serialized bytes) on the examples. */
  | { kind: "score"; model: Uint8Array; examples: Example[] };

/** Where a job runs: inline (the CLI) or in a worker thread (the server, evaluation-threads.ts). */
export type Evaluator = (job: EvaluationJob, signal?: AbortSignal) => Promise<EvalReport>;

/** The job itself; the same function runs inline and in a thread, so both give the same report. */
export function runJob(job: EvaluationJob): EvalReport {
  if (job.kind === "cross_validation") return crossValidate(job.examples, job.folds, { seed: job.seed });
  return evaluate(TextClassifier.deserialize(job.model), job.examples);
}

/** On the caller's thread: for the CLI, where no one else waits on the event loop. */
export const inline: Evaluator = async (job) => runJob(job);
