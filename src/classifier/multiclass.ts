/**
 * The multi-class SVM of Crammer and Singer, by the dual coordinate descent
 * of Keerthi et al. (KDD 2008) as in liblinear's solver 4: one problem for
 * all labels, asking the true label's score to beat every other label's by a
 * margin. For single-label data this fits the argmax directly, where one
 * binary SVM per label only approximates it.
 *
 * Each example has one dual variable per label; shrinking keeps, per
 * example, only the labels that still compete with the true one, so after a
 * few passes an example costs a handful of labels instead of all of them.
 */

import type { Matrix } from "./features.js";
import { type Random, shuffle } from "./random.js";

export interface MulticlassConfig {
  C: number;
  /** Stopping tolerance (liblinear's default 0.1). */
  eps: number;
  maxIter: number;
}

export const DEFAULT_MULTICLASS: MulticlassConfig = { C: 0.1, eps: 0.1, maxIter: 100 };

/**
 * `truth[i]` is row i's label. Returns feature-major weights (label c's
 * weight for feature j at [j·labels + c]; row `columns` the biases, as the
 * weight of a constant feature 1).
 */
export function trainMulticlass(
  x: Matrix,
  truth: Int32Array,
  labels: number,
  config: MulticlassConfig,
  random: Random,
): Float64Array {
  const { start, ids, values, rows, columns } = x;
  const L = labels;
  const C = config.C;
  const weights = new Float64Array((columns + 1) * L);
  const biasBase = columns * L;
  const alpha = new Float64Array(rows * L);
  const qd = new Float64Array(rows);
  // Per example, its active labels (a permutation of 0..L-1, the first activeSize[i] active)
  // and where its true label sits in that list (`yAt`).
  const labelOrder = new Int32Array(rows * L);
  const activeSize = new Int32Array(rows);
  const yAt = new Int32Array(rows);
  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let norm = 1;
    for (let k = start[i] as number; k < (start[i + 1] as number); k++) norm += (values[k] as number) ** 2;
    qd[i] = norm;
    for (let m = 0; m < L; m++) labelOrder[i * L + m] = m;
    activeSize[i] = L;
    yAt[i] = truth[i] as number;
    order[i] = i;
  }
  const G = new Float64Array(L);
  const B = new Float64Array(L);
  const D = new Float64Array(L);
  const alphaNew = new Float64Array(L);
  const changedLabel = new Int32Array(L);
  const changedBy = new Float64Array(L);
  let epsShrink = Math.max(10 * config.eps, 1);
  let fromAll = true;
  let active = rows;

  for (let iter = 0; iter < config.maxIter; iter++) {
    let stopping = Number.NEGATIVE_INFINITY;
    shuffle(order, random, active);
    for (let s = 0; s < active; s++) {
      const i = order[s] as number;
      const base = i * L;
      const yi = truth[i] as number;
      const ai = qd[i] as number;
      let size = activeSize[i] as number;
      let y = yAt[i] as number;
      const from = start[i] as number;
      const end = start[i + 1] as number;
      // G[m] = w_m·x_i + [m ≠ y_i], over the active labels.
      if (size * 4 > L) {
        // Most labels active: all decision values at once, from contiguous weights.
        for (let c = 0; c < L; c++) D[c] = weights[biasBase + c] as number;
        for (let k = from; k < end; k++) {
          const v = values[k] as number;
          const at = (ids[k] as number) * L;
          for (let c = 0; c < L; c++) D[c] = (D[c] as number) + v * (weights[at + c] as number);
        }
        for (let m = 0; m < size; m++) G[m] = D[labelOrder[base + m] as number] as number;
      } else {
        for (let m = 0; m < size; m++) {
          const c = labelOrder[base + m] as number;
          let dot = weights[biasBase + c] as number;
          for (let k = from; k < end; k++)
            dot += (values[k] as number) * (weights[(ids[k] as number) * L + c] as number);
          G[m] = dot;
        }
      }
      for (let m = 0; m < size; m++) if (m !== y) G[m] = (G[m] as number) + 1;

      let minG = Number.POSITIVE_INFINITY;
      let maxG = Number.NEGATIVE_INFINITY;
      for (let m = 0; m < size; m++) {
        const g = G[m] as number;
        if ((alpha[base + (labelOrder[base + m] as number)] as number) < 0 && g < minG) minG = g;
        if (g > maxG) maxG = g;
      }
      if (y < size && (alpha[base + yi] as number) < C && (G[y] as number) < minG) minG = G[y] as number;

      // Shrink labels at their bound whose gradient says they will stay there.
      const shrinkable = (m: number) => {
        const bound = m === y ? C : 0;
        return alpha[base + (labelOrder[base + m] as number)] === bound && (G[m] as number) < minG;
      };
      for (let m = 0; m < size; m++) {
        if (!shrinkable(m)) continue;
        size--;
        while (size > m) {
          if (!shrinkable(size)) {
            const t = labelOrder[base + m] as number;
            labelOrder[base + m] = labelOrder[base + size] as number;
            labelOrder[base + size] = t;
            const g = G[m] as number;
            G[m] = G[size] as number;
            G[size] = g;
            if (y === size) y = m;
            else if (y === m) y = size;
            break;
          }
          size--;
        }
      }
      activeSize[i] = size;
      yAt[i] = y;
      if (size <= 1) {
        active--;
        order[s] = order[active] as number;
        order[active] = i;
        s--;
        continue;
      }
      if (maxG - minG <= 1e-12) continue;
      stopping = Math.max(stopping, maxG - minG);

      for (let m = 0; m < size; m++)
        B[m] = (G[m] as number) - ai * (alpha[base + (labelOrder[base + m] as number)] as number);
      solveSubproblem(ai, y, C, size, B, D, alphaNew);
      let changed = 0;
      for (let m = 0; m < size; m++) {
        const c = labelOrder[base + m] as number;
        const d = (alphaNew[m] as number) - (alpha[base + c] as number);
        alpha[base + c] = alphaNew[m] as number;
        if (Math.abs(d) >= 1e-12) {
          changedLabel[changed] = c;
          changedBy[changed] = d;
          changed++;
        }
      }
      for (let k = from; k < end; k++) {
        const v = values[k] as number;
        const at = (ids[k] as number) * L;
        for (let t = 0; t < changed; t++) {
          const c = at + (changedLabel[t] as number);
          weights[c] = (weights[c] as number) + (changedBy[t] as number) * v;
        }
      }
      for (let t = 0; t < changed; t++) {
        const c = biasBase + (changedLabel[t] as number);
        weights[c] = (weights[c] as number) + (changedBy[t] as number);
      }
    }

    if (stopping < epsShrink) {
      if (stopping < config.eps && fromAll) break;
      // Converged on the shrunk problem: check again with every label of every example.
      active = rows;
      for (let i = 0; i < rows; i++) activeSize[i] = L;
      epsShrink = Math.max(epsShrink / 2, config.eps);
      fromAll = true;
    } else {
      fromAll = false;
    }
  }
  return weights;
}

/**
 * The per-example subproblem: minimize ½·A·‖α‖² + B·α subject to Σα = 0,
 * α_m ≤ C for the true label and ≤ 0 for the others, solved exactly by
 * sorting (Crammer and Singer's fixed-point for β).
 */
function solveSubproblem(
  a: number,
  y: number,
  C: number,
  size: number,
  B: Float64Array,
  scratch: Float64Array,
  out: Float64Array,
): void {
  const d = scratch.subarray(0, size);
  d.set(B.subarray(0, size));
  if (y < size) d[y] = (d[y] as number) + a * C;
  d.sort();
  d.reverse();
  let beta = (d[0] as number) - a * C;
  let r = 1;
  for (; r < size && beta < r * (d[r] as number); r++) beta += d[r] as number;
  beta /= r;
  for (let m = 0; m < size; m++) {
    const value = (beta - (B[m] as number)) / a;
    out[m] = m === y ? Math.min(C, value) : Math.min(0, value);
  }
}
