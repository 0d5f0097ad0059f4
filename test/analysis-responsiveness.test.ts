import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freshApp, type TestApp } from "./helpers/app.js";
import { insertConversations } from "./helpers/bulk.js";

/**
 * Analysis never keeps the event loop busy for long: small items are
 * labeled in slices that yield, big ones in a worker thread. Before, a batch
 * was analyzed in one synchronous run, during which no
 * request was answered and no lease extended.
 */
const WORDS = "I was charged twice please refund me my parcel never arrived and tracking shows nothing".split(
  " ",
);
const text = (i: number, length: number) => {
  const parts: string[] = [];
  for (let k = i, n = 0; n < length; k++) {
    const word = WORDS[(k * 7) % WORDS.length] as string;
    parts.push(word);
    n += word.length + 1;
  }
  return parts.join(" ");
};

describe("analysis and the event loop", () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp("sqlite");
    const taxonomy = {
      labels: [
        { name: "billing/refund", rules: { keywords: ["refund"], regex: ["charged\\s+twice"] } },
        { name: "shipping", rules: { keywords: ["parcel", "tracking"], regex: ["never\\s+arrived"] } },
      ],
    };
    await t.api({ method: "PUT", url: "/api/taxonomy", payload: taxonomy });
    await insertConversations(t.database, 4_000, { prefix: "small", text: (i) => text(i, 3_000) });
    await insertConversations(t.database, 8, { prefix: "big", text: (i) => text(i, 900_000) });
  });
  afterEach(() => t.cleanup());

  it("labels a big batch without ever blocking the event loop long", async () => {
    const started = await t.api({ method: "POST", url: "/api/internal/labels/reanalysis?from=2000-01-01" });
    expect(started.statusCode).toBe(202);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const ticking = performance.now();
    let remaining = 1;
    while (remaining > 0) {
      const tick = await t.api({ method: "POST", url: "/api/tick/runners?max_messages=10000&max_ms=20000" });
      remaining = tick.json().remaining;
    }
    delay.disable();
    const tickingMs = performance.now() - ticking;
    const job = (
      await t.api({ method: "GET", url: `/api/internal/labels/reanalysis/${started.json().id}` })
    ).json();
    expect(job).toMatchObject({ status: "done", done: 4_008, failed: 0 });
    // Measured on the 2-core machine: 30–75 ms idle, 260 ms at a load of 10 (stress-ng and
    // parallel tests); before, a whole batch's analysis and commit stalled it 985 ms at that load.
    // A stall is bounded relative to the whole run, so a slower machine moves both: a batch of
    // 2,000 small items (a third of the run) analyzed in one go would exceed a sixth of it.
    expect(delay.max / 1e6).toBeLessThan(tickingMs / 6);
  });
});
