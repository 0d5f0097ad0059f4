/**
 * In-process, CPU-only text classifier for customer-service texts: single-
 * or multi-label, with calibrated confidences, per-label thresholds and
 * evidence words, plus evaluation and cross-validation.
 *
 * Design in brief (details in each file): normalized words and character
 * n-grams (normalize.ts, features.ts) → TF-IDF → one linear SVM per label by
 * dual coordinate descent (svm.ts) → softmax (single-label) or Platt
 * (multi-label) calibration and per-label F1-optimal thresholds fitted on
 * held-out decision values (calibration.ts, train.ts) → a compact binary
 * format (serialize.ts). Metrics are defined in metrics.ts.
 */

export { crossValidate, evaluate } from "./metrics.js";
export { TextClassifier } from "./model.js";
export type {
  EvalReport,
  Example,
  LabelMetrics,
  LabelScore,
  ModelInfo,
  Prediction,
  TrainOptions,
} from "./types.js";
