/**
 * A trained model's weights as it keeps and uses them.
 *
 * Stored: feature-major, each weight an integer multiple (8 or 16 bits) of
 * one scale per label. Rounding happens once, at training, so a model in
 * memory and the same model after serialize → deserialize score identically.
 * At 8 bits most weights of an SVM over n-grams round to zero (about 70 % on
 * banking77), which costs no measurable accuracy; scoring therefore walks a
 * sparse copy (each feature's nonzero labels), three times faster than the
 * dense matrix.
 */

import type { Sparse } from "./features.js";

export type WeightBits = 8 | 16 | 32;

export class LabelWeights {
  readonly labels: number;
  readonly features: number;
  readonly bits: WeightBits;
  /** Per label: a weight is an integer times this (unused at 32 bits). */
  readonly scales: Float64Array;
  /** Feature-major: label c's weight for feature j at [j·labels + c]. */
  readonly dense: Float32Array;
  readonly bias: Float32Array;
  // Nonzero weights of feature j: labels `label[rowStart[j] … rowStart[j+1]]`, weights `value[…]`.
  private readonly rowStart: Int32Array;
  private readonly label: Int32Array;
  private readonly value: Float32Array;

  constructor(
    labels: number,
    bits: WeightBits,
    scales: Float64Array,
    dense: Float32Array,
    bias: Float32Array,
  ) {
    this.labels = labels;
    this.features = dense.length / labels;
    this.bits = bits;
    this.scales = scales;
    this.dense = dense;
    this.bias = bias;
    let nonzero = 0;
    for (let k = 0; k < dense.length; k++) if (dense[k] !== 0) nonzero++;
    this.rowStart = new Int32Array(this.features + 1);
    this.label = new Int32Array(nonzero);
    this.value = new Float32Array(nonzero);
    let at = 0;
    for (let j = 0; j < this.features; j++) {
      for (let c = 0; c < labels; c++) {
        const w = dense[j * labels + c] as number;
        if (w === 0) continue;
        this.label[at] = c;
        this.value[at] = w;
        at++;
      }
      this.rowStart[j + 1] = at;
    }
  }

  /**
   * Rounds float weights (feature-major, `labels` per feature) to `bits`
   * with one scale per label: the largest weight of the label maps to the
   * largest integer.
   */
  static quantize(
    weights: ArrayLike<number>,
    bias: ArrayLike<number>,
    labels: number,
    bits: WeightBits,
  ): LabelWeights {
    const dense = new Float32Array(weights.length);
    const scales = new Float64Array(labels).fill(1);
    if (bits === 32) {
      dense.set(weights);
    } else {
      const levels = bits === 8 ? 127 : 32767;
      const max = new Float64Array(labels);
      for (let k = 0; k < weights.length; k++) {
        const c = k % labels;
        max[c] = Math.max(max[c] as number, Math.abs(weights[k] as number));
      }
      for (let c = 0; c < labels; c++) if ((max[c] as number) > 0) scales[c] = (max[c] as number) / levels;
      for (let k = 0; k < weights.length; k++) {
        const scale = scales[k % labels] as number;
        dense[k] = Math.round((weights[k] as number) / scale) * scale;
      }
    }
    return new LabelWeights(labels, bits, scales, dense, Float32Array.from(bias));
  }

  weight(feature: number, label: number): number {
    return this.dense[feature * this.labels + label] as number;
  }

  /** Decision values of one feature vector for every label. */
  decide(row: Sparse, out: Float64Array): void {
    const { rowStart, label, value } = this;
    out.set(this.bias);
    for (let k = 0; k < row.size; k++) {
      const v = row.values[k] as number;
      const j = row.ids[k] as number;
      const end = rowStart[j + 1] as number;
      for (let p = rowStart[j] as number; p < end; p++) {
        const c = label[p] as number;
        out[c] = (out[c] as number) + v * (value[p] as number);
      }
    }
  }
}
