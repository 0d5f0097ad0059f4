/**
 * From SVM decision values to probabilities, and from probabilities to
 * per-label decision thresholds — both fitted on held-out decision values
 * (see `heldOutDecisions` in train.ts), never on those of the training rows,
 * which the SVM has pushed to its margin and which would look overconfident.
 *
 * Single-label models use a softmax over all labels' decision values with
 * one fitted temperature: the labels compete, the probabilities sum to 1,
 * and the argmax is unchanged. Multi-label models use Platt scaling per
 * label, σ(a·f + b), because each label is its own yes/no question; labels
 * with few held-out positives share a sigmoid fitted on all labels pooled.
 */

export type Calibration =
  | { kind: "softmax"; scale: number }
  | { kind: "platt"; a: Float64Array; b: Float64Array };

/** Fewer held-out positives than this and a label gets the pooled sigmoid. */
const MIN_PLATT_POSITIVES = 8;

export function softmaxInPlace(values: Float64Array, scale: number): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < values.length; c++) if ((values[c] as number) > max) max = values[c] as number;
  let sum = 0;
  for (let c = 0; c < values.length; c++) {
    const e = Math.exp(scale * ((values[c] as number) - max));
    values[c] = e;
    sum += e;
  }
  for (let c = 0; c < values.length; c++) values[c] = (values[c] as number) / sum;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Decision values → probabilities, in place. */
export function applyCalibration(calibration: Calibration, values: Float64Array): void {
  if (calibration.kind === "softmax") {
    softmaxInPlace(values, calibration.scale);
    return;
  }
  for (let c = 0; c < values.length; c++) {
    values[c] = sigmoid((calibration.a[c] as number) * (values[c] as number) + (calibration.b[c] as number));
  }
}

/**
 * The softmax temperature (as a scale on decision values) that minimizes the
 * negative log-likelihood of the true labels. The likelihood is concave in
 * the scale, so a safeguarded Newton iteration finds the optimum.
 */
export function fitSoftmaxScale(decisions: Float64Array, truth: Int32Array, labels: number): number {
  const rows = truth.length;
  const p = new Float64Array(labels);
  const derivatives = (scale: number): [number, number] => {
    let gradient = 0;
    let curvature = 0;
    for (let i = 0; i < rows; i++) {
      const base = i * labels;
      for (let c = 0; c < labels; c++) p[c] = decisions[base + c] as number;
      softmaxInPlace(p, scale);
      let mean = 0;
      let square = 0;
      for (let c = 0; c < labels; c++) {
        const f = decisions[base + c] as number;
        mean += (p[c] as number) * f;
        square += (p[c] as number) * f * f;
      }
      gradient += mean - (decisions[base + (truth[i] as number)] as number);
      curvature += square - mean * mean;
    }
    return [gradient, curvature];
  };
  let low = 1e-3;
  let high = 1e3;
  let scale = 1;
  for (let iter = 0; iter < 50; iter++) {
    const [gradient, curvature] = derivatives(scale);
    if (gradient > 0) high = scale;
    else low = scale;
    let next = curvature > 0 ? scale - gradient / curvature : Number.NaN;
    if (!(next > low && next < high)) next = Math.sqrt(low * high);
    if (Math.abs(next - scale) < 1e-6 * scale) return next;
    scale = next;
  }
  return scale;
}

/**
 * Platt's sigmoid σ(a·f + b) for one label, by the Newton method of Lin, Lin
 * and Weng (2007), with Platt's smoothed targets so that a label whose
 * held-out examples separate perfectly still gets finite parameters.
 */
export function fitPlatt(decisions: ArrayLike<number>, positive: ArrayLike<number>): [number, number] {
  const n = decisions.length;
  let positives = 0;
  for (let i = 0; i < n; i++) if (positive[i] === 1) positives++;
  const negatives = n - positives;
  const hi = (positives + 1) / (positives + 2);
  const lo = 1 / (negatives + 2);
  const target = (i: number) => (positive[i] === 1 ? hi : lo);
  // Parameterized as 1 / (1 + exp(A·f + B)) as in the paper; returned as a = -A, b = -B.
  let A = 0;
  let B = Math.log((negatives + 1) / (positives + 1));
  const objective = (a: number, b: number) => {
    let value = 0;
    for (let i = 0; i < n; i++) {
      const z = (decisions[i] as number) * a + b;
      const t = target(i);
      value += z >= 0 ? t * z + Math.log1p(Math.exp(-z)) : (t - 1) * z + Math.log1p(Math.exp(z));
    }
    return value;
  };
  let value = objective(A, B);
  for (let iter = 0; iter < 100; iter++) {
    let h11 = 1e-12;
    let h22 = 1e-12;
    let h21 = 0;
    let g1 = 0;
    let g2 = 0;
    for (let i = 0; i < n; i++) {
      const f = decisions[i] as number;
      const z = f * A + B;
      const p = z >= 0 ? Math.exp(-z) / (1 + Math.exp(-z)) : 1 / (1 + Math.exp(z));
      const q = 1 - p;
      const d2 = p * q;
      h11 += f * f * d2;
      h22 += d2;
      h21 += f * d2;
      const d1 = target(i) - p;
      g1 += f * d1;
      g2 += d1;
    }
    if (Math.abs(g1) < 1e-5 && Math.abs(g2) < 1e-5) break;
    const det = h11 * h22 - h21 * h21;
    const dA = -(h22 * g1 - h21 * g2) / det;
    const dB = -(-h21 * g1 + h11 * g2) / det;
    const gd = g1 * dA + g2 * dB;
    let step = 1;
    let moved = false;
    while (step >= 1e-10) {
      const nextA = A + step * dA;
      const nextB = B + step * dB;
      const nextValue = objective(nextA, nextB);
      if (nextValue < value + 1e-4 * step * gd) {
        A = nextA;
        B = nextB;
        value = nextValue;
        moved = true;
        break;
      }
      step /= 2;
    }
    if (!moved) break;
  }
  return [-A, -B];
}

/** Per-label Platt scaling, with the pooled fit for labels that have too few held-out positives. */
export function fitPlattAll(decisions: Float64Array, positive: Uint8Array, labels: number): Calibration {
  const rows = decisions.length / labels;
  const [pooledA, pooledB] = fitPlatt(decisions, positive);
  const a = new Float64Array(labels).fill(pooledA);
  const b = new Float64Array(labels).fill(pooledB);
  const column = new Float64Array(rows);
  const flags = new Uint8Array(rows);
  for (let c = 0; c < labels; c++) {
    let positives = 0;
    for (let i = 0; i < rows; i++) {
      column[i] = decisions[i * labels + c] as number;
      flags[i] = positive[i * labels + c] as number;
      positives += flags[i] as number;
    }
    if (positives < MIN_PLATT_POSITIVES) continue;
    const [ac, bc] = fitPlatt(column, flags);
    a[c] = ac;
    b[c] = bc;
  }
  return { kind: "platt", a, b };
}

export interface ThresholdOptions {
  /** Single-label: a label is predicted only where it is the argmax. */
  singleLabel: boolean;
  /** Fewer held-out positives than this and the label gets `fallback`. */
  minPositives: number;
  fallback: number;
  /**
   * Pseudo-count of the shrinkage toward the global threshold: a label with
   * P held-out positives gets (P·own + shrink·global) / (P + shrink).
   */
  shrink: number;
}

interface Candidate {
  p: number;
  hit: boolean;
}

/**
 * The threshold that maximizes F1 when the candidates at or above it are
 * predicted and `positives` is the number of true labels among all
 * examples (so a missed one counts even if it is no candidate). The cut is
 * placed halfway between the lowest probability kept and the highest one
 * dropped, so that it does not sit on a held-out example. Undefined if
 * nothing is ever right.
 */
function bestThreshold(candidates: Candidate[], positives: number): number | undefined {
  candidates.sort((x, y) => y.p - x.p);
  let tp = 0;
  let fp = 0;
  let bestF1 = 0;
  let bestCut = -1;
  for (let k = 0; k < candidates.length; k++) {
    const candidate = candidates[k] as Candidate;
    if (candidate.hit) tp++;
    else fp++;
    // Only cut between distinct probabilities.
    const next = candidates[k + 1];
    if (next !== undefined && next.p === candidate.p) continue;
    const f1 = (2 * tp) / (tp + fp + positives);
    if (f1 > bestF1) {
      bestF1 = f1;
      bestCut = k;
    }
  }
  if (bestCut < 0) return undefined;
  return ((candidates[bestCut] as Candidate).p + (candidates[bestCut + 1]?.p ?? 0)) / 2;
}

/**
 * Per-label thresholds from held-out probabilities: each label's own
 * F1-optimal threshold, shrunk toward the one threshold that maximizes
 * micro-F1 over all labels at once. Own thresholds fitted on a few dozen
 * held-out positives chase noise: on NLU++ they lost 0.6 points of micro-F1
 * against one global threshold; shrunk, they keep what is real (a label
 * whose probabilities run low or high) without the noise.
 */
export function chooseThresholds(
  probabilities: Float64Array,
  positive: Uint8Array,
  labels: number,
  options: ThresholdOptions,
): Float64Array {
  const rows = probabilities.length / labels;
  const eligible = new Uint8Array(rows * labels).fill(options.singleLabel ? 0 : 1);
  if (options.singleLabel) {
    for (let i = 0; i < rows; i++) {
      let best = 0;
      for (let c = 1; c < labels; c++) {
        if ((probabilities[i * labels + c] as number) > (probabilities[i * labels + best] as number))
          best = c;
      }
      eligible[i * labels + best] = 1;
    }
  }
  const perLabel: Candidate[][] = Array.from({ length: labels }, () => []);
  const positives = new Int32Array(labels);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < labels; c++) {
      const at = i * labels + c;
      const hit = positive[at] === 1;
      if (hit) positives[c] = (positives[c] as number) + 1;
      if (eligible[at] === 1) perLabel[c]?.push({ p: probabilities[at] as number, hit });
    }
  }
  const total = positives.reduce((sum, p) => sum + p, 0);
  const global = bestThreshold(perLabel.flat(), total) ?? options.fallback;
  const thresholds = new Float64Array(labels).fill(options.fallback);
  for (let c = 0; c < labels; c++) {
    const p = positives[c] as number;
    if (p < options.minPositives) continue;
    const own = bestThreshold(perLabel[c] as Candidate[], p) ?? global;
    thresholds[c] = (p * own + options.shrink * global) / (p + options.shrink);
  }
  return thresholds;
}
