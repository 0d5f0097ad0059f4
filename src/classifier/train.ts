/**
 * Training: fit the vocabulary, encode, train one SVM per label on
 * everything, then get held-out decision values (internal cross-validation,
 * see `heldOutDecisions`) to fit the calibration and the per-label
 * thresholds on, and finally round the weights to the precision they are
 * stored in (weights.ts).
 */

import {
  applyCalibration,
  type Calibration,
  chooseThresholds,
  fitPlattAll,
  fitSoftmaxScale,
} from "./calibration.js";
import { DEFAULT_FEATURES, type FeatureConfig, FeatureSpace, type Matrix } from "./features.js";
import { assignFolds } from "./folds.js";
import type { ModelParts } from "./model.js";
import { toWords } from "./normalize.js";
import { seeded } from "./random.js";
import { DEFAULT_SVM, decisionValues, type OneVsRest, type SvmConfig, trainOneVsRest } from "./svm.js";
import type { Example, TrainOptions } from "./types.js";
import { LabelWeights } from "./weights.js";

export interface TrainConfig {
  features: FeatureConfig;
  svm: SvmConfig;
  /**
   * Held-out decision values come from internal k-fold cross-validation with
   * `heldOutFolds` folds, of which only as many are trained as it takes to
   * hold out `heldOutRows` examples: all of them on small data, where every
   * example counts, a sample on large data, where a few thousand calibrate
   * as well as ten thousand and the time is better saved.
   */
  heldOutFolds: number;
  heldOutRows: number;
  /**
   * Rounds for the fold models (see SvmConfig.maxRounds): they start next to
   * their optimum and only feed calibration, so one round is plenty.
   */
  heldOutRounds: number;
  /** Fold models start from the support vectors only (see trainOneVsRest's `supportOnly`). */
  heldOutSupportOnly: boolean;
  /** Labels with fewer held-out positives than this keep the default threshold. */
  minThresholdPositives: number;
  defaultThreshold: number;
  /** Shrinkage of per-label thresholds toward the global one (see chooseThresholds). */
  thresholdShrink: number;
}

export const DEFAULT_TRAIN: TrainConfig = {
  features: DEFAULT_FEATURES,
  svm: DEFAULT_SVM,
  heldOutFolds: 5,
  heldOutRows: 4000,
  heldOutRounds: 1,
  heldOutSupportOnly: true,
  minThresholdPositives: 5,
  defaultThreshold: 0.5,
  thresholdShrink: 30,
};

function validate(examples: readonly Example[]): void {
  if (!Array.isArray(examples)) throw new TypeError("TextClassifier.train: examples must be an array");
  if (examples.length === 0) throw new Error("TextClassifier.train: no examples to train on");
  examples.forEach((example, i) => {
    if (typeof example?.text !== "string")
      throw new TypeError(`TextClassifier.train: example ${i} has no text string`);
    if (
      !Array.isArray(example.labels) ||
      example.labels.some((label: unknown) => typeof label !== "string" || label === "")
    ) {
      throw new TypeError(`TextClassifier.train: example ${i} labels must be an array of non-empty strings`);
    }
  });
}

/** Trains a model's parts; TextClassifier.train uses DEFAULT_TRAIN, experiments their own. */
export function trainParts(
  examples: readonly Example[],
  options: TrainOptions,
  config: TrainConfig,
): ModelParts {
  validate(examples);
  const seed = options.seed ?? 0;
  const labelSets = examples.map((example) => [...new Set(example.labels)]);
  const labels = [...new Set(labelSets.flat())].sort();
  if (labels.length < 2) {
    throw new Error(
      `TextClassifier.train: need at least 2 distinct labels across the examples, found ${labels.length}` +
        (labels.length === 1 ? ` ("${labels[0]}")` : ""),
    );
  }
  const multiLabel = !labelSets.every((set) => set.length === 1);
  const L = labels.length;
  const index = new Map(labels.map((label, c) => [label, c]));
  const rows = examples.length;
  const positive = new Uint8Array(rows * L);
  labelSets.forEach((set, i) => {
    for (const label of set) positive[i * L + (index.get(label) as number)] = 1;
  });

  const words = examples.map((example) => toWords(example.text));
  const { space, matrix: x } = FeatureSpace.fit(words, config.features);
  const model = trainOneVsRest(x, positive, L, config.svm, seeded(seed));
  const held = heldOutDecisions(x, positive, labelSets, L, config, seed, model);
  const decisions = held.decisions;
  const heldPositive = new Uint8Array(decisions.length);
  held.rows.forEach((i, r) => {
    heldPositive.set(positive.subarray(i * L, (i + 1) * L), r * L);
  });
  let calibration: Calibration;
  if (multiLabel) {
    calibration = fitPlattAll(decisions, heldPositive, L);
  } else {
    const truth = Int32Array.from(held.rows, (i) => index.get(labelSets[i]?.[0] as string) as number);
    calibration = { kind: "softmax", scale: fitSoftmaxScale(decisions, truth, L) };
  }
  const probabilities = decisions;
  const row = new Float64Array(L);
  for (let i = 0; i < held.rows.length; i++) {
    row.set(probabilities.subarray(i * L, (i + 1) * L));
    applyCalibration(calibration, row);
    probabilities.set(row, i * L);
  }
  const thresholds = chooseThresholds(probabilities, heldPositive, L, {
    singleLabel: !multiLabel,
    minPositives: config.minThresholdPositives,
    fallback: config.defaultThreshold,
    shrink: config.thresholdShrink,
  });
  const weights = LabelWeights.quantize(
    unpad(model, x.columns),
    model.weights.subarray(x.columns * model.stride, x.columns * model.stride + L),
    L,
  );
  return { labels, multiLabel, examples: rows, space, weights, calibration, thresholds };
}

/**
 * Held-out decision values: for the rows of the first internal folds (enough
 * to cover `heldOutRows`), the decision values of a model trained without
 * that fold, row-major (rows × labels). Each fold model starts from the full
 * model's dual variables on its rows, which are close to its own optimum.
 * The vocabulary is the full one: a feature seen only in the held-out fold
 * just has no weight there.
 */
function heldOutDecisions(
  x: Matrix,
  positive: Uint8Array,
  labelSets: readonly (readonly string[])[],
  L: number,
  config: TrainConfig,
  seed: number,
  model: OneVsRest,
): { rows: Int32Array; decisions: Float64Array } {
  const k = Math.min(config.heldOutFolds, x.rows);
  const used = Math.min(k, Math.ceil(config.heldOutRows / (x.rows / k)));
  const folds = assignFolds(labelSets, k, seeded(seed ^ 0x5bd1e995));
  const heldRows: number[] = [];
  for (let fold = 0; fold < used; fold++) {
    for (let i = 0; i < folds.length; i++) if (folds[i] === fold) heldRows.push(i);
  }
  const rows = Int32Array.from(heldRows);
  const decisions = new Float64Array(rows.length * L);
  let at = 0;
  for (let fold = 0; fold < used; fold++) {
    const trainRows: number[] = [];
    const testRows: number[] = [];
    folds.forEach((f, i) => {
      (f === fold ? testRows : trainRows).push(i);
    });
    const sub = new Uint8Array(trainRows.length * L);
    const alpha = new Float64Array(trainRows.length * L);
    trainRows.forEach((i, r) => {
      sub.set(positive.subarray(i * L, (i + 1) * L), r * L);
      alpha.set(model.alpha.subarray(i * L, (i + 1) * L), r * L);
    });
    // The full model's weights less the held-out rows' terms α·y·x: consistent with `alpha`.
    const weights = model.weights.slice();
    for (const i of testRows) {
      for (let c = 0; c < L; c++) {
        const a = model.alpha[i * L + c] as number;
        if (a === 0) continue;
        const d = positive[i * L + c] === 1 ? -a : a;
        for (let k = x.start[i] as number; k < (x.start[i + 1] as number); k++) {
          const at = (x.ids[k] as number) * model.stride + c;
          weights[at] = (weights[at] as number) + d * (x.values[k] as number);
        }
        const bias = x.columns * model.stride + c;
        weights[bias] = (weights[bias] as number) + d;
      }
    }
    const warm = { weights, alpha, labels: L, stride: model.stride };
    const foldModel = trainOneVsRest(
      selectRows(x, trainRows),
      sub,
      L,
      { ...config.svm, maxRounds: config.heldOutRounds },
      seeded(seed + fold + 1),
      warm,
      config.heldOutSupportOnly,
    );
    const out = decisions.subarray(at * L, (at + testRows.length) * L);
    decideAll(selectRows(x, testRows), foldModel, out);
    at += testRows.length;
  }
  return { rows, decisions };
}

/** Decision values of every row of a matrix (row-major, rows × labels). */
function decideAll(x: Matrix, model: OneVsRest, out: Float64Array): void {
  const L = model.labels;
  const row = new Float64Array(model.stride);
  for (let i = 0; i < x.rows; i++) {
    decisionValues(
      x.ids,
      x.values,
      x.start[i] as number,
      x.start[i + 1] as number,
      model.weights,
      model.stride,
      row,
    );
    out.set(row.subarray(0, L), i * L);
  }
}

/** The feature weights without the padding of each row, and without the bias row. */
function unpad(model: OneVsRest, columns: number): Float64Array {
  const L = model.labels;
  const out = new Float64Array(columns * L);
  for (let j = 0; j < columns; j++)
    out.set(model.weights.subarray(j * model.stride, j * model.stride + L), j * L);
  return out;
}

function selectRows(x: Matrix, rows: readonly number[]): Matrix {
  let nnz = 0;
  for (const i of rows) nnz += (x.start[i + 1] as number) - (x.start[i] as number);
  const start = new Int32Array(rows.length + 1);
  const ids = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let at = 0;
  rows.forEach((i, r) => {
    const from = x.start[i] as number;
    const to = x.start[i + 1] as number;
    ids.set(x.ids.subarray(from, to), at);
    values.set(x.values.subarray(from, to), at);
    at += to - from;
    start[r + 1] = at;
  });
  return { rows: rows.length, columns: x.columns, start, ids, values };
}
