import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { transaction } from "../src/db/database.js";
import { redrive } from "../src/pubsub/dead-letters.js";
import { publish } from "../src/pubsub/publish.js";
import { ack, claim, MAX_LEASE_EXPIRIES, pruneFinished, reapExpiredLeases } from "../src/pubsub/queue.js";
import { processBatch } from "../src/runners/process-batch.js";
import { tick } from "../src/runners/tick.js";
import { freshRuntime, type TestRuntime } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";
import { TEST_TOPIC, testTopic, testTopics } from "./helpers/test-topic.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(BACKENDS)("queue on %s", (backend) => {
  let t: TestRuntime;
  beforeEach(async () => {
    t = await freshRuntime(backend, { topics: testTopics(), leaseMs: 200 });
  });
  afterEach(() => t.cleanup());

  const send = (id: string, data: Record<string, unknown> = {}) =>
    transaction(t.database, (trx) => publish(trx, t.runtime, { topic: TEST_TOPIC, key: { id }, data }));
  const effects = async () =>
    (await t.database.db.selectFrom("analysis_runs").select("item_id").orderBy("item_id").execute()).map(
      (r) => r.item_id,
    );
  const stateOf = async (id: number) =>
    await t.database.db.selectFrom("messages").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

  it("dedups a key while it is pending, not once it runs", async () => {
    const first = await send("a");
    const again = await send("a");
    expect(again).toEqual({ ...first, deduplicated: true });
    expect(first.deduplicated).toBe(false);
    await claim(t.database, TEST_TOPIC, 10, 1_000);
    const whileRunning = await send("a");
    expect(whileRunning.deduplicated).toBe(false);
    expect(whileRunning.id).not.toBe(first.id);
  });

  it("returns an expired lease to pending without counting the attempt, and another runner completes it", async () => {
    const { id } = await send("lost");
    const [claimed] = await claim(t.database, TEST_TOPIC, 10, 50);
    expect(claimed?.attempts).toBe(1);
    await sleep(80);
    const report = await tick(t.runtime);
    expect(report).toMatchObject({ processed: 1, succeeded: 1, remaining: 0, next_due_in_ms: null });
    // The lost lease was the runner's doing, not the message's: one attempt counted, one expiry.
    expect(await stateOf(id)).toMatchObject({ state: "done", attempts: 1, lease_expiries: 1 });
    expect(await effects()).toEqual(["lost"]);
  });

  it("rejects a stale runner's completion: its effects are never applied", async () => {
    await send("x");
    const stale = await claim(t.database, TEST_TOPIC, 10, 20);
    await sleep(40);
    expect(await reapExpiredLeases(t.database)).toBe(1);
    const fresh = await claim(t.database, TEST_TOPIC, 10, 10_000);
    expect(fresh.map((m) => m.id)).toEqual(stale.map((m) => m.id));

    const staleReport = await processBatch(t.runtime, testTopic(), stale);
    expect(staleReport).toMatchObject({ succeeded: 0, stale: 1 });
    expect(await effects()).toEqual([]);
    expect(await transaction(t.database, (trx) => ack(trx, stale))).toEqual(new Set());

    const freshReport = await processBatch(t.runtime, testTopic(), fresh);
    expect(freshReport).toMatchObject({ succeeded: 1, stale: 0 });
    expect(await effects()).toEqual(["x"]);
  });

  it("backs off, dead-letters after max attempts, and redrives", async () => {
    const { id } = await send("bad", { reject: true });
    // One message per tick (max_messages), so a tick slowed by a busy machine cannot outlast
    // the 10-20 ms backoff and retry the message within itself: each tick is one attempt.
    const before = Date.now();
    let report = await tick(t.runtime, { maxMessages: 1 });
    expect(report).toMatchObject({ processed: 1, failed: 1, dead_lettered: 0, remaining: 1 });
    const backingOff = await stateOf(id);
    expect(backingOff).toMatchObject({
      state: "pending",
      attempts: 1,
      last_error: "rejected by handler",
    });
    // Backed off: due at least half the first backoff (baseMs 20) after the failure.
    expect(Number(backingOff.run_at)).toBeGreaterThanOrEqual(before + 10);
    for (let i = 0; i < 20 && report.remaining > 0; i++) {
      await sleep(50);
      report = await tick(t.runtime, { maxMessages: 1 });
    }
    expect(await stateOf(id)).toMatchObject({ state: "failed", attempts: 3 });
    expect(report).toMatchObject({ remaining: 0, next_due_in_ms: null });

    expect(await redrive(t.database, { ids: [id] })).toEqual({ redriven: 1, folded: 0 });
    expect(await stateOf(id)).toMatchObject({ state: "pending", attempts: 0, last_error: null });
  });

  it("a redriven message whose key is pending again folds into that one", async () => {
    const { id } = await send("k", { reject: true });
    for (let i = 0; i < 10; i++) {
      await tick(t.runtime);
      await sleep(50);
    }
    expect((await stateOf(id)).state).toBe("failed");
    const newer = await send("k");
    expect(await redrive(t.database, {})).toEqual({ redriven: 0, folded: 1 });
    expect((await stateOf(id)).state).toBe("cancelled");
    expect((await stateOf(newer.id)).state).toBe("pending");
  });

  it("one poisoned message in a batch of 100 fails alone", async () => {
    t.runtime.topics = testTopics({ batchSize: 100 });
    for (let i = 0; i < 100; i++)
      await send(`m${String(i).padStart(3, "0")}`, i === 37 ? { poison: true } : {});
    const report = await tick(t.runtime, { maxMessages: 100 });
    expect(report).toMatchObject({ processed: 100, succeeded: 99, failed: 1 });
    const done = await effects();
    expect(done).toHaveLength(99);
    expect(done).not.toContain("m037");
  });

  it("bounds a tick by max_messages and reports what remains", async () => {
    for (let i = 0; i < 30; i++) await send(`b${i}`);
    const first = await tick(t.runtime, { maxMessages: 10 });
    expect(first).toMatchObject({ processed: 10, succeeded: 10, remaining: 20, next_due_in_ms: 0 });
    expect(first.topics[TEST_TOPIC]).toMatchObject({ processed: 10, remaining: 20 });
    const rest = await tick(t.runtime);
    expect(rest).toMatchObject({ processed: 20, remaining: 0, next_due_in_ms: null });
    const idle = await tick(t.runtime);
    expect(idle).toMatchObject({ processed: 0, remaining: 0, next_due_in_ms: null });
  });

  it("bounds a tick by max_ms, checked between batches", async () => {
    t.runtime.topics = testTopics({
      batchSize: 1,
      handle: async () => {
        await sleep(30);
        return { commit: async () => {} };
      },
    });
    for (let i = 0; i < 20; i++) await send(`s${i}`);
    const report = await tick(t.runtime, { maxMs: 100 });
    expect(report.processed).toBeGreaterThanOrEqual(1);
    expect(report.processed).toBeLessThan(10);
    expect(report.remaining).toBe(20 - report.processed);
  });

  it("counts backing-off messages as remaining and says when they are due", async () => {
    t.runtime.topics = testTopics({ backoff: { baseMs: 60_000, maxMs: 60_000 } });
    await send("later", { reject: true });
    const report = await tick(t.runtime);
    expect(report).toMatchObject({ processed: 1, failed: 1, remaining: 1 });
    expect(report.next_due_in_ms).toBeGreaterThan(20_000);
    expect(report.next_due_in_ms).toBeLessThanOrEqual(60_000);
    expect((await tick(t.runtime)).processed).toBe(0);
  });

  it("dead-letters a message whose runner lost its lease every time, without using its attempts", async () => {
    const { id } = await send("crashes its runner");
    for (let i = 0; i < MAX_LEASE_EXPIRIES; i++) {
      expect(await claim(t.database, TEST_TOPIC, 10, 1)).toHaveLength(1);
      await sleep(5);
      expect(await reapExpiredLeases(t.database)).toBe(1);
    }
    expect(await stateOf(id)).toMatchObject({
      state: "failed",
      attempts: 1,
      lease_expiries: MAX_LEASE_EXPIRIES,
    });
    expect((await stateOf(id)).last_error).toMatch(/lease expired 10 times/);
  });

  it("prunes every finished message past retention in one pass, chunk by chunk, and nothing else", async () => {
    const now = Date.now();
    const day = 86_400_000;
    const row = (i: number, state: "done" | "cancelled" | "pending", finishedAt: number | null) => ({
      topic: TEST_TOPIC,
      key: JSON.stringify({ n: i }),
      data: "{}",
      state,
      priority: 0,
      attempts: 1,
      max_attempts: 5,
      run_at: now,
      created_at: now - 10 * day,
      finished_at: finishedAt,
    });
    const rows = [
      ...Array.from({ length: 12_000 }, (_, i) => row(i, i % 10 === 0 ? "cancelled" : "done", now - 8 * day)),
      ...Array.from({ length: 50 }, (_, i) => row(100_000 + i, "done", now - day)),
      ...Array.from({ length: 50 }, (_, i) => row(200_000 + i, "pending", null)),
    ];
    for (let i = 0; i < rows.length; i += 1_000) {
      await transaction(t.database, (trx) =>
        trx
          .insertInto("messages")
          .values(rows.slice(i, i + 1_000))
          .execute(),
      );
    }
    const pruned = await pruneFinished(t.database, 7 * day, now, { chunk: 5_000, budgetMs: 60_000 });
    expect(pruned).toBe(12_000);
    const left = await t.database.db.selectFrom("messages").select(["state", "finished_at"]).execute();
    expect(left).toHaveLength(100);
    expect(left.every((m) => m.state === "pending" || (m.finished_at ?? 0) >= now - 7 * day)).toBe(true);
  });
});
