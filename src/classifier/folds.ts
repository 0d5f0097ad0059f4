/**
 * Stratified-ish fold assignment for single- and multi-label data.
 *
 * Each example is filed under its rarest label (frequency over the whole
 * set; no label at all is a group of its own); groups are dealt out to the
 * folds in turn, rarest first, after a seeded shuffle. Every label then
 * spreads over the folds as evenly as its rarest-label group allows, which is
 * exact for single-label data, and fold sizes differ by at most one.
 */

import { type Random, shuffle } from "./random.js";

export function assignFolds(
  labelSets: readonly (readonly string[])[],
  k: number,
  random: Random,
): Int32Array {
  const frequency = new Map<string, number>();
  for (const labels of labelSets)
    for (const label of labels) frequency.set(label, (frequency.get(label) ?? 0) + 1);
  const key = labelSets.map((labels) => {
    let best = "";
    let bestCount = Number.POSITIVE_INFINITY;
    for (const label of labels) {
      const count = frequency.get(label) as number;
      if (count < bestCount || (count === bestCount && label < best)) {
        best = label;
        bestCount = count;
      }
    }
    return { label: best, count: labels.length === 0 ? Number.MAX_SAFE_INTEGER : bestCount };
  });
  const order = Array.from(labelSets, (_, i) => i);
  shuffle(order, random);
  const position = new Int32Array(order.length);
  order.forEach((row, p) => {
    position[row] = p;
  });
  order.sort((a, b) => {
    const ka = key[a] as { label: string; count: number };
    const kb = key[b] as { label: string; count: number };
    if (ka.count !== kb.count) return ka.count - kb.count;
    if (ka.label !== kb.label) return ka.label < kb.label ? -1 : 1;
    return (position[a] as number) - (position[b] as number);
  });
  const folds = new Int32Array(labelSets.length);
  order.forEach((row, p) => {
    folds[row] = p % k;
  });
  return folds;
}
