import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunnerPool } from "../../src/runners/worker.js";
import { freshApp, type TestApp } from "../helpers/app.js";
import { insertConversations } from "../helpers/bulk.js";
import { BACKENDS } from "../helpers/db.js";
import { type Spawned, spawnNode } from "../helpers/processes.js";
import { CLI, itemsNotRunExactly, messagesRunTwice, waitForJobDone } from "./fixtures.js";

/**
 * Items of ~0.9 MB (within the body limit), re-labeled with a short lease by
 * two runners, one in this process and a `relabel worker`, with patterns
 * that make each item's analysis take a while. A batch bounded only by count held them all: minutes of
 * analysis on the event loop, leases never extended, the batch bounced from
 * runner to runner until every message was dead-lettered. Batches are now
 * bounded by text, analyzed off the event loop with their lease extended,
 * and a lost lease does not use up an attempt.
 */
const ITEMS = 60;
const LEASE_MS = 400;
/** Twenty patterns that scan every character: about 0.1 s per item each, as a heavy real taxonomy. */
const HEAVY = Array.from({ length: 20 }, (_, i) => `[a-z]{4}\\s+[a-z]{3,}\\s+x${i}`);
const WORDS = "I was charged twice please refund me my parcel never arrived and tracking shows nothing".split(
  " ",
);

function bigText(i: number): string {
  const parts: string[] = [];
  let length = 0;
  for (let k = i; length < 900_000; k++) {
    const word = WORDS[(k * 7) % WORDS.length] as string;
    parts.push(word);
    length += word.length + 1;
  }
  return parts.join(" ");
}

describe.each(BACKENDS)("re-labeling big items with a short lease on %s", (backend) => {
  let t: TestApp;
  let pool: RunnerPool | undefined;
  let worker: Spawned | undefined;
  beforeEach(async () => {
    t = await freshApp(backend, { leaseMs: LEASE_MS });
    const taxonomy = {
      labels: [
        { name: "billing/refund", rules: { keywords: ["refund"], regex: ["charged\\s+twice"] } },
        { name: "shipping", rules: { keywords: ["parcel", "tracking"] } },
        { name: "heavy", rules: { regex: HEAVY } },
      ],
    };
    await t.api({ method: "PUT", url: "/api/taxonomy", payload: taxonomy });
    await insertConversations(t.database, ITEMS, { prefix: "big", text: bigText });
  });
  afterEach(async () => {
    await pool?.stop();
    worker?.child.kill("SIGKILL");
    await t.cleanup();
  });

  it("finishes with every item labeled once, nothing dead-lettered, no attempt lost to a lease", async () => {
    pool = new RunnerPool(t.runtime, { concurrency: 1 });
    pool.start();
    worker = spawnNode([CLI, "worker"], { DATABASE_URL: t.url, RELABEL_LEASE_MS: String(LEASE_MS) });
    const started = await t.api({ method: "POST", url: "/api/internal/labels/reanalysis?from=2000-01-01" });
    expect(started.statusCode).toBe(202);
    const job = await waitForJobDone(t.api, {
      url: t.url,
      jobId: started.json().id,
      topic: "conversation_note_analysis",
      timeoutMs: 100_000,
      output: () => worker?.output() ?? "",
    });
    expect(job).toMatchObject({ total: ITEMS, done: ITEMS, failed: 0 });
    const messages = await t.database.db
      .selectFrom("messages")
      .select(["state", "attempts"])
      .where("topic", "=", "conversation_note_analysis")
      .execute();
    expect(messages.filter((m) => m.state !== "done")).toEqual([]);
    expect(Math.max(...messages.map((m) => m.attempts))).toBe(1);
    expect(await itemsNotRunExactly(t.database, 1)).toBe(0);
    expect(await messagesRunTwice(t.database)).toBe(0);
  });
});
