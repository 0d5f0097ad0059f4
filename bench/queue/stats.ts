/** Small statistics helpers: medians over runs, percentiles over latency samples. */

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Nearest-rank percentile (p in 0–100). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Rates to 3 significant figures (10,400/s), latencies to 0.1 ms: more digits than that is noise here. */
export function roundRate(perSecond: number): number {
  return Number.isFinite(perSecond) ? Number(perSecond.toPrecision(3)) : perSecond;
}

export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}
