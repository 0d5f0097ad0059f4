/** The classifier's public data types; index.ts re-exports them. */

export interface Example {
  text: string;
  /** May be empty (multi-label data: "none of these"). */
  labels: string[];
}

export interface TrainOptions {
  /** Training is deterministic given the seed (default 0). */
  seed?: number;
}

export interface LabelScore {
  label: string;
  /** Calibrated probability in [0, 1]. */
  confidence: number;
}

export interface Prediction extends LabelScore {
  /** Up to 5 words or phrases of the text that drove the prediction, most important first. */
  evidence: string[];
}

export interface ModelInfo {
  labels: string[];
  multiLabel: boolean;
  features: number;
  examples: number;
  thresholds: Record<string, number>;
}

export interface LabelMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface EvalReport {
  examples: number;
  single_label: boolean;
  /** Single-label data only: top-1 accuracy. */
  accuracy?: number;
  micro_f1: number;
  macro_f1: number;
  per_label: Record<string, LabelMetrics>;
  /** Most frequent first, at most 20. */
  confusions: { actual: string; predicted: string; count: number }[];
}
