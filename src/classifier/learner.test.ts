import { describe, expect, it } from "vitest";
import {
  applyCalibration,
  chooseThresholds,
  fitPlatt,
  fitSoftmaxScale,
  softmaxInPlace,
} from "./calibration.js";
import type { Matrix } from "./features.js";
import { seeded } from "./random.js";
import { DEFAULT_SVM, trainOneVsRest } from "./svm.js";
import { LabelWeights } from "./weights.js";

/** Rows of a dense matrix as a sparse one. */
function matrix(rows: number[][]): Matrix {
  const start = [0];
  const ids: number[] = [];
  const values: number[] = [];
  for (const row of rows) {
    row.forEach((v, j) => {
      if (v !== 0) {
        ids.push(j);
        values.push(v);
      }
    });
    start.push(ids.length);
  }
  return {
    rows: rows.length,
    columns: rows[0]?.length ?? 0,
    start: Int32Array.from(start),
    ids: Int32Array.from(ids),
    values: Float64Array.from(values),
  };
}

/** Row i's decision value for label c, straight from the weights (rows padded to `stride`). */
function decision(weights: Float64Array, x: Matrix, i: number, c: number, stride: number): number {
  let f = weights[x.columns * stride + c] as number;
  for (let k = x.start[i] as number; k < (x.start[i + 1] as number); k++) {
    f += (x.values[k] as number) * (weights[(x.ids[k] as number) * stride + c] as number);
  }
  return f;
}

describe("trainOneVsRest", () => {
  // Three labels, one feature each, plus a shared noisy feature; one row has two labels.
  const rows: number[][] = [];
  const labelsOf: number[][] = [];
  const random = seeded(5);
  for (let i = 0; i < 60; i++) {
    const c = i % 3;
    const row = [0, 0, 0, random()];
    row[c] = 0.5 + random();
    if (i === 59) row[0] = 0.5 + random();
    rows.push(row);
    labelsOf.push(i === 59 ? [0, 2] : [c]);
  }
  const x = matrix(rows);
  const L = 3;
  const positive = new Uint8Array(rows.length * L);
  labelsOf.forEach((set, i) => {
    for (const c of set) positive[i * L + c] = 1;
  });
  const config = { ...DEFAULT_SVM, eps: 1e-4, maxRounds: 50 };
  const model = trainOneVsRest(x, positive, L, config, seeded(1));

  it("separates a separable problem", () => {
    for (let i = 0; i < rows.length; i++) {
      for (let c = 0; c < L; c++) {
        const f = decision(model.weights, x, i, c, model.stride);
        if (positive[i * L + c] === 1) expect(f).toBeGreaterThan(0);
        else expect(f).toBeLessThan(0);
      }
    }
  });

  it("meets the optimality conditions of the squared-hinge dual", () => {
    const diag = 0.5 / config.C;
    for (let i = 0; i < rows.length; i++) {
      for (let c = 0; c < L; c++) {
        const y = positive[i * L + c] === 1 ? 1 : -1;
        const a = model.alpha[i * L + c] as number;
        const gradient = y * decision(model.weights, x, i, c, model.stride) - 1 + a * diag;
        expect(a).toBeGreaterThanOrEqual(0);
        if (a > 0) expect(Math.abs(gradient)).toBeLessThan(1e-3);
        else expect(gradient).toBeGreaterThan(-1e-3);
      }
    }
  });

  it("is deterministic, and a warm start from the optimum stays there", () => {
    const again = trainOneVsRest(x, positive, L, config, seeded(1));
    expect(again.weights).toEqual(model.weights);
    const warm = trainOneVsRest(x, positive, L, config, seeded(9), {
      weights: model.weights.slice(),
      alpha: model.alpha.slice(),
      labels: L,
      stride: model.stride,
    });
    for (let k = 0; k < warm.weights.length; k++) {
      expect(warm.weights[k]).toBeCloseTo(model.weights[k] as number, 3);
    }
  });
});

describe("LabelWeights", () => {
  it("rounds to 8 bits per label and scores like the dense product", () => {
    const dense = Float64Array.from([0.5, -2, 0.001, 1, -0.25, 0]);
    const w = LabelWeights.quantize(dense, [0.1, -0.1], 2);
    expect(w.scales[0]).toBeCloseTo(0.5 / 127, 12);
    expect(w.scales[1]).toBeCloseTo(2 / 127, 12);
    expect(w.weight(1, 0)).toBe(0); // 0.001 is below half a step
    expect(Math.abs(w.weight(0, 1) + 2)).toBeLessThan(1e-6);
    const out = new Float64Array(2);
    w.decide({ ids: Int32Array.from([0, 2]), values: Float64Array.from([2, 1]), size: 2 }, out);
    expect(out[0]).toBeCloseTo(0.1 + 2 * w.weight(0, 0) + w.weight(2, 0), 6);
    expect(out[1]).toBeCloseTo(-0.1 + 2 * w.weight(0, 1) + w.weight(2, 1), 6);
  });
});

describe("calibration", () => {
  it("Platt scaling is increasing in the decision value and stays in [0, 1]", () => {
    const random = seeded(2);
    const decisions: number[] = [];
    const positive: number[] = [];
    for (let i = 0; i < 400; i++) {
      const y = random() < 0.3 ? 1 : 0;
      decisions.push((y === 1 ? 1 : -1) + 1.2 * (random() - 0.5) * 2);
      positive.push(y);
    }
    const [a, b] = fitPlatt(decisions, positive);
    expect(a).toBeGreaterThan(0);
    const calibration = { kind: "platt" as const, a: Float64Array.of(a), b: Float64Array.of(b) };
    let previous = -1;
    for (const f of [-50, -2, -1, 0, 1, 2, 50]) {
      const p = Float64Array.of(f);
      applyCalibration(calibration, p);
      expect(p[0]).toBeGreaterThanOrEqual(0);
      expect(p[0]).toBeLessThanOrEqual(1);
      expect(p[0]).toBeGreaterThan(previous);
      previous = p[0] as number;
    }
    const high = Float64Array.of(2);
    applyCalibration(calibration, high);
    expect(high[0]).toBeGreaterThan(0.9);
  });

  it("the softmax scale maximizes the held-out likelihood", () => {
    const random = seeded(3);
    const L = 4;
    const rows = 300;
    const decisions = new Float64Array(rows * L);
    const truth = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      truth[i] = i % L;
      for (let c = 0; c < L; c++) decisions[i * L + c] = (c === i % L ? 0.5 : -0.5) + (random() - 0.5) * 2;
    }
    const scale = fitSoftmaxScale(decisions, truth, L);
    const nll = (s: number) => {
      let total = 0;
      for (let i = 0; i < rows; i++) {
        const p = decisions.slice(i * L, (i + 1) * L);
        softmaxInPlace(p, s);
        total -= Math.log(p[truth[i] as number] as number);
      }
      return total;
    };
    expect(scale).toBeGreaterThan(0);
    expect(nll(scale)).toBeLessThan(nll(scale * 1.5));
    expect(nll(scale)).toBeLessThan(nll(scale / 1.5));
  });

  it("thresholds maximize F1, halfway between kept and dropped", () => {
    // One label: kept 0.9 ✓ 0.8 ✓ 0.6 ✗ 0.4 ✓ | dropped 0.2 ✗ — F1 6/7 beats 4/5.
    const p = Float64Array.from([0.9, 0.8, 0.6, 0.4, 0.2]);
    const hits = Uint8Array.from([1, 1, 0, 1, 0]);
    const options = { singleLabel: false, minPositives: 1, fallback: 0.5, shrink: 0 };
    expect(chooseThresholds(p, hits, 1, options)[0]).toBeCloseTo(0.3, 12);
    // Too few positives: the default.
    expect(chooseThresholds(p, hits, 1, { ...options, minPositives: 4 })[0]).toBe(0.5);
  });

  it("single-label thresholds only count where the label is the argmax", () => {
    // Two labels; rows: [0.7, 0.3] a, [0.45, 0.55] a, [0.2, 0.8] b, [0.6, 0.4] b.
    const p = Float64Array.from([0.7, 0.3, 0.45, 0.55, 0.2, 0.8, 0.6, 0.4]);
    const positive = Uint8Array.from([1, 0, 1, 0, 0, 1, 0, 1]);
    const t = chooseThresholds(p, positive, 2, {
      singleLabel: true,
      minPositives: 1,
      fallback: 0.5,
      shrink: 0,
    });
    // Label a: candidates 0.7 ✓ and 0.6 ✗; best keeps only 0.7 (F1 2/3 vs 1/2).
    expect(t[0]).toBeCloseTo(0.65, 12);
    // Label b: candidates 0.8 ✓ and 0.55 ✗: keeps 0.8.
    expect(t[1]).toBeCloseTo(0.675, 12);
  });
});
