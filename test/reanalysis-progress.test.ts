import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { countRange, FANOUT_CHUNK } from "../src/reanalysis/fanout.js";
import { messagesToCome } from "../src/reanalysis/jobs.js";
import { drain } from "../src/runners/drain.js";
import { freshApp, type TestApp } from "./helpers/app.js";
import { insertConversations } from "./helpers/bulk.js";
import { BACKENDS } from "./helpers/db.js";

/**
 * Issue 19 item 7: a job knows its size from its first answer and its ETA
 * from its first progress, so neither the job page nor `relabel drain`'s bar
 * jumps back while the range is fanned out chunk by chunk.
 */
const DAY = 86_400_000;
/** More than two fan-out chunks: fan-out takes several steps. */
const ITEMS = FANOUT_CHUNK * 2 + 500;

describe.each(BACKENDS)("reanalysis progress on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend);
    await t.api({
      method: "PUT",
      url: "/api/taxonomy",
      payload: { labels: [{ name: "billing/refund", rules: { keywords: ["refund"] } }] },
    });
    await insertConversations(t.database, ITEMS);
  });
  afterEach(() => t.cleanup());

  const start = async (query = "") => {
    const response = await t.api({ method: "POST", url: `/api/internal/labels/reanalysis${query}` });
    expect(response.statusCode).toBe(202);
    return response.json();
  };
  const job = async (id: number) =>
    (await t.api({ method: "GET", url: `/api/internal/labels/reanalysis/${id}` })).json();
  const tick = async (query = "") =>
    (await t.api({ method: "POST", url: `/api/tick/runners${query}` })).json();

  it("answers with the range's size at once, keeps it while fanning out, and gives an ETA from the first item done", async () => {
    const created = await start();
    expect(created).toMatchObject({ status: "fanning_out", total: ITEMS, done: 0, eta_seconds: null });

    const seen: { status: string; total: number; finished: number; eta: number | null }[] = [];
    for (let i = 0; i < 1_000; i++) {
      await tick("?max_messages=700");
      const j = await job(created.id);
      seen.push({
        status: j.status,
        total: j.total,
        finished: j.done + j.failed + j.skipped,
        eta: j.eta_seconds,
      });
      if (j.status === "done") break;
    }
    expect(seen.at(-1)).toMatchObject({ status: "done", total: ITEMS, finished: ITEMS, eta: 0 });
    // The total never moves, so the bar never goes back.
    expect(new Set(seen.map((s) => s.total))).toEqual(new Set([ITEMS]));
    // Once anything is finished there is an ETA, fanning out or not.
    for (const s of seen) if (s.finished > 0) expect(s.eta, JSON.stringify(s)).not.toBeNull();
    // The case the issue saw: progress (and so an ETA) while the range was still being fanned out.
    expect(seen.some((s) => s.status === "fanning_out" && s.finished > 0)).toBe(true);
  });

  it("counts only the range and the type, and a dry run no further than its sample", async () => {
    const now = Date.now();
    await insertConversations(t.database, 7, { prefix: "old", at: () => now - 90 * DAY });
    const older = new Date(now - 91 * DAY).toISOString();
    const old = new Date(now - 89 * DAY).toISOString();
    expect((await start(`?from=${older}&until=${old}`)).total).toBe(7);
    expect((await start("?type=notes")).total).toBe(0);
    expect((await start("?type=conversations")).total).toBe(ITEMS);
    expect(await countRange(t.database.db, { type: "both", from: 0, until: now }, 100)).toBe(100);
    expect((await start("?dry_run=true")).total).toBe(ITEMS);
  });

  it("corrects the total with items that enter the range during fan-out: exact once fanned out", async () => {
    const created = await start();
    await insertConversations(t.database, 25, { prefix: "late" });
    await drain(t.runtime, () => {});
    expect(await job(created.id)).toMatchObject({ status: "done", total: ITEMS + 25, done: ITEMS + 25 });
  });

  it("drain knows the whole of its work from its first tick: fan-out's messages to come included", async () => {
    await start();
    // Fan-out walks the conversations in three steps, then the notes (none) in one.
    const steps = Math.floor(ITEMS / FANOUT_CHUNK) + 2;
    // The pending step aside, everything is to come.
    expect(await messagesToCome(t.database.db)).toBe(ITEMS + steps - 1);
    const totals: number[] = [];
    const processed = await drain(t.runtime, (report, done, upcoming) => {
      totals.push(done + report.remaining + upcoming);
    });
    expect(processed).toBe(ITEMS + steps);
    // Every tick saw the same total: a bar that only moves forward.
    expect(new Set(totals)).toEqual(new Set([ITEMS + steps]));
    expect(await messagesToCome(t.database.db)).toBe(0);
  });
});
