/** The shapes of the model routes' answers (GET /api/internal/models, …/:version/evaluation), as the page reads them. */

export interface ModelSummary {
  version: number;
  created_at: string;
  active: boolean;
  labels: string[];
  examples: number;
  sources: { taxonomy: number; manual: number; file: number; file_name?: string };
  train_ms: number;
  bytes: number;
}

export interface LabelMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Evaluation {
  mode: "active_model" | "model" | "cross_validation" | "people";
  model_version?: number;
  examples: number;
  single_label: boolean;
  accuracy?: number;
  micro_f1: number;
  macro_f1: number;
  per_label: Record<string, LabelMetrics>;
  confusions: { actual: string; predicted: string; count: number }[];
}

/** A score as the CLI prints it (`relabel eval`): a percentage with one decimal. */
export const pct = (x: number | undefined) => (x === undefined ? "—" : `${(x * 100).toFixed(1)} %`);

/** Training takes from milliseconds to minutes: milliseconds read better than "0 s" for the small ones. */
export function trainTime(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
