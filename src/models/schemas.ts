import { z } from "zod";

/** What the model routes answer with, as documented in /openapi.json. */

export const modelSummaryOutput = z.object({
  version: z.number(),
  created_at: z.string(),
  active: z.boolean().describe("at most one version is active: the one new analyses use"),
  labels: z.array(z.string()),
  examples: z.number(),
  sources: z.object({
    taxonomy: z.number(),
    manual: z.number().describe("items people labeled by hand"),
    file: z.number(),
    file_name: z.string().optional(),
  }),
  train_ms: z.number(),
  bytes: z.number(),
});

const labelMetrics = z.object({
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  support: z.number().describe("how many examples carry the label"),
});

export const evaluationReportOutput = z.object({
  mode: z
    .enum(["active_model", "model", "cross_validation", "people"])
    .describe(
      "active_model: the active model on the examples given; model: the version asked for on them; " +
        "cross_validation: models trained on folds of them; people: a model against the labels people set by hand",
    ),
  model_version: z.number().optional().describe("the model scored; absent for a cross-validation"),
  examples: z.number(),
  single_label: z.boolean(),
  accuracy: z.number().optional().describe("only when every example has exactly one label"),
  micro_f1: z.number(),
  macro_f1: z.number(),
  per_label: z.record(z.string(), labelMetrics),
  confusions: z
    .array(z.object({ actual: z.string(), predicted: z.string(), count: z.number() }))
    .describe("actual → predicted, most frequent first, at most 20"),
});
