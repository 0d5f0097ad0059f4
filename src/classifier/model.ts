/**
 * The classifier: features (features.ts) → one linear SVM per label (svm.ts)
 * → calibrated probabilities and per-label thresholds (calibration.ts).
 *
 * Training in one call: fit the vocabulary, train on everything, then get
 * held-out decision values for every training example to fit the calibration
 * and thresholds on (see `heldOutDecisions`), and finally round the weights
 * to the precision they are stored in, so that a model scores exactly the
 * same before and after serialize → deserialize.
 */

import {
  applyCalibration,
  type Calibration,
  chooseThresholds,
  fitPlattAll,
  fitSoftmaxScale,
} from "./calibration.js";
import {
  DEFAULT_FEATURES,
  emptySparse,
  encodeAll,
  type FeatureConfig,
  FeatureSpace,
  type Matrix,
  type Sparse,
  type Trace,
} from "./features.js";
import { assignFolds } from "./folds.js";
import { toWords } from "./normalize.js";
import { seeded } from "./random.js";
import { decodeModel, encodeModel } from "./serialize.js";
import { DEFAULT_SVM, type OneVsRest, type SvmConfig, trainOneVsRest } from "./svm.js";
import type { Example, LabelScore, ModelInfo, Prediction, TrainOptions } from "./types.js";

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
  /** Labels with fewer training examples than this keep the default threshold. */
  minThresholdPositives: number;
  defaultThreshold: number;
  /** Bits per stored weight: 8 or 16 (with one scale per label), or 32 (float). */
  weightBits: 8 | 16 | 32;
}

export const DEFAULT_TRAIN: TrainConfig = {
  features: DEFAULT_FEATURES,
  svm: DEFAULT_SVM,
  heldOutFolds: 5,
  heldOutRows: 4000,
  heldOutRounds: 1,
  minThresholdPositives: 5,
  defaultThreshold: 0.5,
  weightBits: 8,
};

const EVIDENCE_COUNT = 5;

/** Everything a trained model consists of; what serialize.ts writes. */
export interface ModelParts {
  labels: string[];
  multiLabel: boolean;
  examples: number;
  space: FeatureSpace;
  /** Feature-major: label c's weight for feature j at [j·labels + c]. */
  weights: Float32Array;
  /** How the weights are stored: `weightBits` per weight, as integer multiples of a per-label scale. */
  weightBits: 8 | 16 | 32;
  scales: Float64Array;
  bias: Float32Array;
  calibration: Calibration;
  thresholds: Float64Array;
}

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

export class TextClassifier {
  readonly info: ModelInfo;
  /** @internal */
  readonly parts: ModelParts;
  private readonly row: Sparse = emptySparse();
  private readonly buffer: Float64Array;

  /** @internal Use train() or deserialize(). */
  constructor(parts: ModelParts) {
    this.parts = parts;
    this.buffer = new Float64Array(parts.labels.length);
    const thresholds: Record<string, number> = {};
    parts.labels.forEach((label, c) => {
      thresholds[label] = parts.thresholds[c] as number;
    });
    this.info = Object.freeze({
      labels: [...parts.labels],
      multiLabel: parts.multiLabel,
      features: parts.space.size,
      examples: parts.examples,
      thresholds,
    });
  }

  static train(examples: Example[], options: TrainOptions = {}): TextClassifier {
    return trainWith(examples, options, DEFAULT_TRAIN);
  }

  static deserialize(bytes: Uint8Array): TextClassifier {
    return new TextClassifier(decodeModel(bytes));
  }

  serialize(): Uint8Array {
    return encodeModel(this.parts);
  }

  /** Calibrated probability of every label, in label order. */
  private probabilities(text: string, trace?: Trace): Float64Array {
    const { space, weights, bias, calibration, labels } = this.parts;
    space.encode(text, this.row, trace);
    const values = this.buffer;
    decide(this.row, weights, bias, labels.length, values);
    applyCalibration(calibration, values);
    return values;
  }

  scores(text: string): LabelScore[] {
    const p = this.probabilities(text);
    const result = this.parts.labels.map((label, c) => ({ label, confidence: p[c] as number }));
    return result.sort((x, y) => y.confidence - x.confidence);
  }

  top(text: string): LabelScore | undefined {
    const p = this.probabilities(text);
    let best = 0;
    for (let c = 1; c < p.length; c++) if ((p[c] as number) > (p[best] as number)) best = c;
    return { label: this.parts.labels[best] as string, confidence: p[best] as number };
  }

  predict(text: string): Prediction[] {
    const trace: Trace = {
      words: { words: [], source: [], start: [], end: [] },
      feature: [],
      source: [],
      source2: [],
    };
    const p = this.probabilities(text, trace);
    const { labels, thresholds, multiLabel } = this.parts;
    let chosen: number[] = [];
    for (let c = 0; c < labels.length; c++) if ((p[c] as number) >= (thresholds[c] as number)) chosen.push(c);
    chosen.sort((x, y) => (p[y] as number) - (p[x] as number));
    if (!multiLabel) {
      let best = 0;
      for (let c = 1; c < p.length; c++) if ((p[c] as number) > (p[best] as number)) best = c;
      chosen = chosen.filter((c) => c === best);
    }
    return chosen.map((c) => ({
      label: labels[c] as string,
      confidence: p[c] as number,
      evidence: this.evidence(text, trace, c),
    }));
  }

  /**
   * The words and phrases that pushed label c's decision value up the most:
   * each feature's contribution (value × weight) goes to the token it came
   * from, split evenly over its occurrences and between a bigram's two words.
   */
  private evidence(text: string, trace: Trace, c: number): string[] {
    const { weights, labels } = this.parts;
    const L = labels.length;
    const value = new Map<number, number>();
    for (let k = 0; k < this.row.size; k++)
      value.set(this.row.ids[k] as number, this.row.values[k] as number);
    const occurrences = new Map<number, number>();
    for (const feature of trace.feature) occurrences.set(feature, (occurrences.get(feature) ?? 0) + 1);
    const tokenScore = new Float64Array(trace.words.start.length);
    for (let k = 0; k < trace.feature.length; k++) {
      const feature = trace.feature[k] as number;
      const share =
        ((value.get(feature) ?? 0) * (weights[feature * L + c] as number)) /
        (occurrences.get(feature) as number);
      const first = trace.source[k] as number;
      const second = trace.source2[k] as number;
      if (second < 0) {
        tokenScore[first] = (tokenScore[first] as number) + share;
      } else {
        tokenScore[first] = (tokenScore[first] as number) + share / 2;
        tokenScore[second] = (tokenScore[second] as number) + share / 2;
      }
    }
    const ranked = Array.from(tokenScore.keys())
      .filter((t) => (tokenScore[t] as number) > 0)
      .sort((x, y) => (tokenScore[y] as number) - (tokenScore[x] as number));
    const seen = new Set<string>();
    const evidence: string[] = [];
    for (const t of ranked) {
      const surface = text.slice(trace.words.start[t], trace.words.end[t]);
      const key = surface.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      evidence.push(surface);
      if (evidence.length === EVIDENCE_COUNT) break;
    }
    return evidence;
  }
}

/** Decision values of one vector for every label. */
function decide(
  row: Sparse,
  weights: Float32Array,
  bias: Float32Array,
  labels: number,
  out: Float64Array,
): void {
  for (let c = 0; c < labels; c++) out[c] = bias[c] as number;
  for (let k = 0; k < row.size; k++) {
    const v = row.values[k] as number;
    const base = (row.ids[k] as number) * labels;
    for (let c = 0; c < labels; c++) out[c] = (out[c] as number) + v * (weights[base + c] as number);
  }
}

/** Decision values of every row of a matrix (row-major, rows × labels). */
function decideAll(x: Matrix, weights: ArrayLike<number>, labels: number, out: Float64Array): void {
  const biasBase = x.columns * labels;
  for (let i = 0; i < x.rows; i++) {
    const base = i * labels;
    for (let c = 0; c < labels; c++) out[base + c] = weights[biasBase + c] as number;
    const end = x.start[i + 1] as number;
    for (let k = x.start[i] as number; k < end; k++) {
      const v = x.values[k] as number;
      const at = (x.ids[k] as number) * labels;
      for (let c = 0; c < labels; c++)
        out[base + c] = (out[base + c] as number) + v * (weights[at + c] as number);
    }
  }
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

/**
 * Rounds weights to what serialize.ts stores — `bits` with one scale per
 * label — and returns them as the float32 the model computes with.
 */
export function quantize(
  weights: Float64Array,
  labels: number,
  bits: 8 | 16 | 32,
): { stored: Float32Array; scales: Float64Array } {
  const stored = new Float32Array(weights.length);
  const scales = new Float64Array(labels);
  if (bits === 32) {
    stored.set(weights);
    return { stored, scales };
  }
  const levels = bits === 8 ? 127 : 32767;
  for (let c = 0; c < labels; c++) {
    let max = 0;
    for (let at = c; at < weights.length; at += labels) max = Math.max(max, Math.abs(weights[at] as number));
    scales[c] = max > 0 ? max / levels : 1;
  }
  for (let at = 0; at < weights.length; at++) {
    const scale = scales[at % labels] as number;
    stored[at] = Math.round((weights[at] as number) / scale) * scale;
  }
  return { stored, scales };
}

/** @internal Training with explicit hyperparameters, for experiments and the benchmark. */
export function trainWith(
  examples: readonly Example[],
  options: TrainOptions,
  config: TrainConfig,
): TextClassifier {
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

  let T = performance.now();
  const lap = (n: string) => {
    if (process.env.PROF) console.log(n, Math.round(performance.now() - T));
    T = performance.now();
  };
  const words = examples.map((example) => toWords(example.text));
  lap("words");
  const space = FeatureSpace.fit(words, config.features);
  lap("fit");
  const x = encodeAll(space, words);
  lap("encode");
  const model = trainOneVsRest(x, positive, L, config.svm, seeded(seed));

  lap("svm");
  const held = heldOutDecisions(x, positive, labelSets, L, config, seed, model);
  lap("heldout");
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
  });

  lap("calib");
  const biasBase = x.columns * L;
  const { stored, scales } = quantize(model.weights.subarray(0, biasBase), L, config.weightBits);
  return new TextClassifier({
    labels,
    multiLabel,
    examples: rows,
    space,
    weights: stored,
    weightBits: config.weightBits,
    scales,
    bias: Float32Array.from(model.weights.subarray(biasBase)),
    calibration,
    thresholds,
  });
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
  for (let fold = 0; fold < used; fold++) folds.forEach((f, i) => f === fold && heldRows.push(i));
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
          const at = (x.ids[k] as number) * L + c;
          weights[at] = (weights[at] as number) + d * (x.values[k] as number);
        }
        weights[x.columns * L + c] = (weights[x.columns * L + c] as number) + d;
      }
    }
    const warm = { weights, alpha, labels: L };
    const T = performance.now();
    const foldModel = trainOneVsRest(
      selectRows(x, trainRows),
      sub,
      L,
      { ...config.svm, maxRounds: config.heldOutRounds },
      seeded(seed + fold + 1),
      warm,
    );
    if (process.env.PROF) console.log("fold", Math.round(performance.now() - T));
    const out = decisions.subarray(at * L, (at + testRows.length) * L);
    decideAll(selectRows(x, testRows), foldModel.weights, L, out);
    at += testRows.length;
  }
  return { rows, decisions };
}
