import { setTimeout as sleep } from "node:timers/promises";
import { messagesToCome } from "../reanalysis/jobs.js";
import type { Runtime } from "./runtime.js";
import { TICK_DEFAULTS, type TickReport, tick } from "./tick.js";

/**
 * Ticks until nothing remains, sleeping through backoffs (at most 5 s at a
 * time, so progress keeps flowing). Returns how many messages it processed.
 * If `signal` aborts, it stops at once: the tick under way claims nothing
 * more and hands back what it holds (see tick).
 */
export async function drain(
  runtime: Runtime,
  /** `upcoming`: messages the fan-out of reanalysis jobs has yet to publish (see messagesToCome), so processed + remaining + upcoming is the whole of the work from the first tick. */
  onTick: (report: TickReport, processed: number, upcoming: number) => void,
  signal?: AbortSignal,
): Promise<number> {
  let processed = 0;
  for (;;) {
    const report = await tick(runtime, { ...TICK_DEFAULTS, signal });
    processed += report.processed;
    onTick(report, processed, await messagesToCome(runtime.database.db));
    if (report.remaining === 0 || signal?.aborted) return processed;
    if (report.processed === 0) {
      const ms = Math.min(Math.max(report.next_due_in_ms ?? 1_000, 50), 5_000);
      await sleep(ms, undefined, { signal }).catch(() => undefined);
    }
  }
}
