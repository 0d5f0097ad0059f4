/**
 * The classifier as used: text → features (features.ts) → one linear
 * decision value per label (weights.ts) → calibrated probabilities
 * (calibration.ts) → labels at or above their threshold, with the words
 * that drove each. Training is in train.ts, the binary format in
 * serialize.ts.
 */

import { applyCalibration, type Calibration } from "./calibration.js";
import { emptySparse, type FeatureSpace, Occurrences, type Sparse, type Trace } from "./features.js";
import { decodeModel, encodeModel } from "./serialize.js";
import { DEFAULT_TRAIN, trainParts } from "./train.js";
import type { Example, LabelScore, ModelInfo, Prediction, TrainOptions } from "./types.js";
import type { LabelWeights } from "./weights.js";

const EVIDENCE_COUNT = 5;

/** Everything a trained model consists of; what serialize.ts writes. */
export interface ModelParts {
  labels: string[];
  multiLabel: boolean;
  examples: number;
  space: FeatureSpace;
  weights: LabelWeights;
  calibration: Calibration;
  thresholds: Float64Array;
}

export class TextClassifier {
  readonly info: ModelInfo;
  /** @internal */
  readonly parts: ModelParts;
  // Scratch reused by every call (they are synchronous, so never shared):
  private readonly row: Sparse = emptySparse();
  private readonly buffer: Float64Array;
  private readonly occurrences = new Occurrences();
  /** For each feature, its position in `row` (-1 when absent); reset after use. */
  private readonly position: Int32Array;

  /** @internal Use train() or deserialize(). */
  constructor(parts: ModelParts) {
    this.parts = parts;
    this.buffer = new Float64Array(parts.labels.length);
    this.position = new Int32Array(parts.space.size).fill(-1);
    // fromEntries defines own properties, so that even a label "__proto__" is a key.
    const thresholds = Object.fromEntries(
      parts.labels.map((label, c) => [label, parts.thresholds[c] as number]),
    );
    this.info = Object.freeze({
      labels: [...parts.labels],
      multiLabel: parts.multiLabel,
      features: parts.space.size,
      examples: parts.examples,
      thresholds,
    });
  }

  static train(examples: Example[], options: TrainOptions = {}): TextClassifier {
    return new TextClassifier(trainParts(examples, options, DEFAULT_TRAIN));
  }

  static deserialize(bytes: Uint8Array): TextClassifier {
    return new TextClassifier(decodeModel(bytes));
  }

  serialize(): Uint8Array {
    return encodeModel(this.parts);
  }

  /** Calibrated probability of every label, in label order. */
  private probabilities(text: string, trace?: Trace): Float64Array {
    const { space, weights, calibration } = this.parts;
    space.encode(text, this.row, trace);
    const values = this.buffer;
    weights.decide(this.row, values);
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
      occurrences: this.occurrences,
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
    if (chosen.length === 0) return [];
    const shares = this.shares(trace);
    return chosen.map((c) => ({
      label: labels[c] as string,
      confidence: p[c] as number,
      evidence: this.evidence(text, trace, shares, c),
    }));
  }

  /** Per occurrence: its feature's value in the vector, split evenly over the feature's occurrences. */
  private shares(trace: Trace): Float64Array {
    const { occurrences } = trace;
    const { row, position } = this;
    const count = new Int32Array(row.size);
    for (let k = 0; k < row.size; k++) position[row.ids[k] as number] = k;
    for (let k = 0; k < occurrences.size; k++) {
      const feature = occurrences.feature[k] as number;
      if (feature >= 0)
        count[position[feature] as number] = (count[position[feature] as number] as number) + 1;
    }
    const shares = new Float64Array(occurrences.size);
    for (let k = 0; k < occurrences.size; k++) {
      const feature = occurrences.feature[k] as number;
      if (feature < 0) continue;
      const at = position[feature] as number;
      shares[k] = (row.values[at] as number) / (count[at] as number);
    }
    for (let k = 0; k < row.size; k++) position[row.ids[k] as number] = -1;
    return shares;
  }

  /**
   * The words that pushed label c's decision value up the most: each
   * feature's contribution (value × weight) goes to the token it came from,
   * halved between the two words of a bigram or pair.
   */
  private evidence(text: string, trace: Trace, shares: Float64Array, c: number): string[] {
    const { weights } = this.parts;
    const { occurrences, words } = trace;
    const tokenScore = new Float64Array(words.start.length);
    for (let k = 0; k < occurrences.size; k++) {
      const feature = occurrences.feature[k] as number;
      if (feature < 0) continue;
      const share = (shares[k] as number) * weights.weight(feature, c);
      const first = occurrences.source[k] as number;
      const second = occurrences.source2[k] as number;
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
      const surface = text.slice(words.start[t], words.end[t]);
      const key = surface.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      evidence.push(surface);
      if (evidence.length === EVIDENCE_COUNT) break;
    }
    return evidence;
  }
}
