import { setTimeout as sleep } from "node:timers/promises";
import type { Runtime } from "./runtime.js";
import { TICK_DEFAULTS, type TickReport, tick } from "./tick.js";

/**
 * Ticks until nothing remains, sleeping through backoffs (at most 5 s at a
 * time, so progress keeps flowing). Returns how many messages it processed.
 */
export async function drain(
  runtime: Runtime,
  onTick: (report: TickReport, processed: number) => void,
): Promise<number> {
  let processed = 0;
  for (;;) {
    const report = await tick(runtime, TICK_DEFAULTS);
    processed += report.processed;
    onTick(report, processed);
    if (report.remaining === 0) return processed;
    if (report.processed === 0) await sleep(Math.min(Math.max(report.next_due_in_ms ?? 1_000, 50), 5_000));
  }
}
