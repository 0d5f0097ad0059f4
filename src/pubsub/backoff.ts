import type { Backoff } from "./topic.js";

/**
 * Exponential backoff with full jitter: after attempt n, wait a random time
 * up to base·2^(n−1), capped. Jitter spreads retries of a failed batch so they
 * do not stampede together.
 */
export function backoffDelay(backoff: Backoff, attempt: number, random = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
