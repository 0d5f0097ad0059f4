/**
 * Evaluation on held-out examples, and k-fold cross-validation.
 *
 * What is measured, precisely:
 * - F1 (micro, macro, per label) compares the label set predict() returns —
 *   labels at or above their threshold, at most one for a single-label
 *   model — with the example's labels. An example the model abstains on
 *   counts a false negative for each of its labels; nothing counts as a true
 *   negative. Precision of a label never predicted is 0, recall of a label
 *   with no examples is 0, F1 is 0 when both are.
 * - Accuracy, only when every example has exactly one label: the share
 *   whose top() label (argmax, regardless of thresholds) is that label.
 * - Macro-F1 averages per-label F1 over the labels that occur in the
 *   examples or in the predictions (scikit-learn's convention); `per_label`
 *   also lists the model's other labels, with zeros.
 * - Confusions: single-label, actual label → top() label where they
 *   differ; multi-label, every pair of a missed actual label and a wrongly
 *   predicted label of the same example. Most frequent first (ties by name),
 *   at most 20.
 */

import { assignFolds } from "./folds.js";
import { TextClassifier } from "./model.js";
import { seeded } from "./random.js";
import type { EvalReport, Example, LabelMetrics, TrainOptions } from "./types.js";

const MAX_CONFUSIONS = 20;

/** One evaluated example. */
export interface Outcome {
  actual: readonly string[];
  predicted: readonly string[];
  top: string | undefined;
}

export function outcome(model: TextClassifier, example: Example): Outcome {
  return {
    actual: [...new Set(example.labels)],
    predicted: model.predict(example.text).map((p) => p.label),
    top: model.top(example.text)?.label,
  };
}

export function report(outcomes: readonly Outcome[], modelLabels: readonly string[] = []): EvalReport {
  const counts = new Map<string, { tp: number; fp: number; fn: number }>();
  const counter = (label: string) => {
    let c = counts.get(label);
    if (c === undefined) {
      c = { tp: 0, fp: 0, fn: 0 };
      counts.set(label, c);
    }
    return c;
  };
  for (const label of modelLabels) counter(label);
  const singleLabel = outcomes.length > 0 && outcomes.every((o) => o.actual.length === 1);
  const confusions = new Map<string, { actual: string; predicted: string; count: number }>();
  const confuse = (actual: string, predicted: string) => {
    const key = JSON.stringify([actual, predicted]);
    const entry = confusions.get(key);
    if (entry) entry.count++;
    else confusions.set(key, { actual, predicted, count: 1 });
  };
  let correct = 0;
  for (const o of outcomes) {
    const actual = new Set(o.actual);
    const predicted = new Set(o.predicted);
    const missed: string[] = [];
    const wrong: string[] = [];
    for (const label of actual) {
      if (predicted.has(label)) counter(label).tp++;
      else {
        counter(label).fn++;
        missed.push(label);
      }
    }
    for (const label of predicted) {
      if (!actual.has(label)) {
        counter(label).fp++;
        wrong.push(label);
      }
    }
    if (singleLabel) {
      const truth = o.actual[0] as string;
      if (o.top === truth) correct++;
      else if (o.top !== undefined) confuse(truth, o.top);
    } else {
      for (const a of missed) for (const p of wrong) confuse(a, p);
    }
  }

  let tp = 0;
  let fp = 0;
  let fn = 0;
  let macroSum = 0;
  let macroCount = 0;
  const perLabel: [string, LabelMetrics][] = [];
  for (const label of [...counts.keys()].sort()) {
    const c = counts.get(label) as { tp: number; fp: number; fn: number };
    tp += c.tp;
    fp += c.fp;
    fn += c.fn;
    const f1 = f1Score(c.tp, c.fp, c.fn);
    perLabel.push([
      label,
      {
        precision: c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : 0,
        recall: c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : 0,
        f1,
        support: c.tp + c.fn,
      },
    ]);
    if (c.tp + c.fp + c.fn > 0) {
      macroSum += f1;
      macroCount++;
    }
  }
  const result: EvalReport = {
    examples: outcomes.length,
    single_label: singleLabel,
    micro_f1: f1Score(tp, fp, fn),
    macro_f1: macroCount > 0 ? macroSum / macroCount : 0,
    // fromEntries defines own properties, so that even a label "__proto__" is a key.
    per_label: Object.fromEntries(perLabel),
    confusions: [...confusions.values()]
      .sort((x, y) => y.count - x.count || compare(x.actual, y.actual) || compare(x.predicted, y.predicted))
      .slice(0, MAX_CONFUSIONS),
  };
  if (singleLabel) result.accuracy = correct / outcomes.length;
  return result;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function f1Score(tp: number, fp: number, fn: number): number {
  return tp > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0;
}

export function evaluate(model: TextClassifier, examples: Example[]): EvalReport {
  return report(
    examples.map((example) => outcome(model, example)),
    model.info.labels,
  );
}

/**
 * k-fold cross-validation: folds from a seeded shuffle, stratified by each
 * example's rarest label (folds.ts); a model is trained on k−1 folds with the
 * same options and predicts the remaining one; the report pools every
 * example's outcome, so each example is scored exactly once.
 */
export function crossValidate(examples: Example[], folds: number, options: TrainOptions = {}): EvalReport {
  if (!Number.isInteger(folds) || folds < 2)
    throw new Error(`crossValidate: folds must be an integer ≥ 2, got ${folds}`);
  if (examples.length < folds) {
    throw new Error(`crossValidate: ${folds} folds need at least ${folds} examples, got ${examples.length}`);
  }
  const seed = options.seed ?? 0;
  const assignment = assignFolds(
    examples.map((e) => e.labels),
    folds,
    seeded(seed),
  );
  const outcomes: Outcome[] = new Array(examples.length);
  const labels = new Set<string>();
  for (let fold = 0; fold < folds; fold++) {
    const train = examples.filter((_, i) => assignment[i] !== fold);
    const model = TextClassifier.train(train, options);
    for (const label of model.info.labels) labels.add(label);
    examples.forEach((example, i) => {
      if (assignment[i] === fold) outcomes[i] = outcome(model, example);
    });
  }
  return report(outcomes, [...labels]);
}
