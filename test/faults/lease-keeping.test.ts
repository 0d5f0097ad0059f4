import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { enqueueAnalysis } from "../../src/analysis/enqueue.js";
import { ANALYSIS_TOPIC } from "../../src/analysis/topic.js";
import { transaction } from "../../src/db/database.js";
import { PRIORITY } from "../../src/pubsub/publish.js";
import { claim, reapExpiredLeases } from "../../src/pubsub/queue.js";
import type { TopicDefinition } from "../../src/pubsub/topic.js";
import { pausePoints } from "../../src/runners/pause-points.js";
import { runBatch } from "../../src/runners/run-batch.js";
import { freshApp, type TestApp } from "../helpers/app.js";
import { insertConversations } from "../helpers/bulk.js";
import { BACKENDS } from "../helpers/db.js";

/**
 * A batch whose ack transaction takes several leases (held at a pause point,
 * as a slow machine holds it) must keep everything else going. It did not on
 * PostgreSQL: the lease keeper fired every third of a lease whether or not
 * its last extension had ended, and each extension waited for the rows the
 * ack held; they piled up until the process's 10 pooled connections were all
 * waiting, and the messages that did not fit the batch's text budget sat
 * under the batch's lease until the ack's end, their lease not kept, so
 * another process took them back as expired (and their ack's release then
 * formed a lock cycle with the waiting extensions). In CI, on a loaded
 * 2-core machine, the re-label of big-items.test.ts never ended.
 */
const ITEMS = 10;
const LEASE_MS = 300;
const HOLD_MS = 5 * LEASE_MS;

/** ~0.9 MB: eight fit a batch's text budget, the other two are handed back. */
const bigText = (i: number) => `please refund me, case ${i} `.repeat(36_000);

describe.each(BACKENDS)("a batch held in its ack for several leases on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend, { leaseMs: LEASE_MS });
    await t.api({
      method: "PUT",
      url: "/api/taxonomy",
      payload: { labels: [{ name: "billing/refund", rules: { keywords: ["refund"] } }] },
    });
    await insertConversations(t.database, ITEMS, { prefix: "big", text: bigText });
    await transaction(t.database, async (trx) => {
      for (let i = 0; i < ITEMS; i++) {
        const fsId = `big-${String(i).padStart(7, "0")}`;
        await enqueueAnalysis(trx, t.runtime, { conversation_fs_id: fsId }, PRIORITY.bulk);
      }
    });
  });
  afterEach(async () => {
    pausePoints.beforeLabelWrite = undefined;
    await t.cleanup();
  });

  const messages = () =>
    t.database.db
      .selectFrom("messages")
      .select(["id", "state", "attempts", "lease_expiries"])
      .where("topic", "=", ANALYSIS_TOPIC)
      .orderBy("id")
      .execute();

  it("hands back what does not fit before analyzing, and neither its lease keeper nor the pool stalls", async () => {
    const topic = t.runtime.topics.get(ANALYSIS_TOPIC) as TopicDefinition;
    const batch = await claim(t.database, ANALYSIS_TOPIC, topic.batchSize, LEASE_MS);
    expect(batch).toHaveLength(ITEMS);

    const seen: { whileHeld?: Awaited<ReturnType<typeof messages>>; reaped?: number } = {};
    let slowestProbeMs = 0;
    let mostCheckedOut = 0;
    pausePoints.beforeLabelWrite = async () => {
      pausePoints.beforeLabelWrite = undefined;
      seen.whileHeld = await messages();
      const until = performance.now() + HOLD_MS;
      while (performance.now() < until) {
        // Anything else the process does meanwhile (a request, a claim) gets a connection at once.
        const started = performance.now();
        await sql`select 1`.execute(t.database.db);
        slowestProbeMs = Math.max(slowestProbeMs, performance.now() - started);
        const pool = t.database.pool;
        if (pool) mostCheckedOut = Math.max(mostCheckedOut, pool.totalCount - pool.idleCount);
        await sleep(50);
      }
      // Another process recovering expired leases now: the batch's rows are the ack's, the
      // handed-back ones pending; there is nothing to take. (SQLite: the held ack is the writer.)
      if (backend === "postgres") seen.reaped = await reapExpiredLeases(t.database);
    };

    const report = await runBatch(t.runtime, topic, batch);

    expect(report).toMatchObject({ succeeded: 8, failed: 0, stale: 0, handedBack: ITEMS - 8 });
    // Handed back before the analysis, not with the ack: pending, their attempt given back.
    expect(seen.whileHeld?.filter((m) => m.state === "pending")).toHaveLength(ITEMS - 8);
    expect(seen.whileHeld?.filter((m) => m.state === "pending").map((m) => m.attempts)).toEqual([0, 0]);
    // (Before: the pool was empty after a second, and a probe waited 10 s for a connection.)
    expect(slowestProbeMs).toBeLessThan(HOLD_MS);
    // The ack's connection and at most one extension's (and the probe's own).
    if (backend === "postgres") {
      expect(mostCheckedOut).toBeLessThanOrEqual(3);
      expect(seen.reaped).toBe(0);
    }
    const after = await messages();
    expect(after.filter((m) => m.state === "done")).toHaveLength(8);
    expect(after.filter((m) => m.state === "pending")).toHaveLength(ITEMS - 8);
    expect(after.map((m) => m.lease_expiries)).toEqual(after.map(() => 0));
  });
});
