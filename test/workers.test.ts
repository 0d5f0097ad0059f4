import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { transaction } from "../src/db/database.js";
import { publish } from "../src/pubsub/publish.js";
import { RunnerPool } from "../src/runners/worker.js";
import { freshRuntime, type TestRuntime } from "./helpers/app.js";
import { CLI } from "./helpers/cli.js";
import { BACKENDS } from "./helpers/db.js";
import { sleep, spawnNode, waitFor } from "./helpers/processes.js";
import { TEST_TOPIC, testTopics } from "./helpers/test-topic.js";

const SLOW_WORKER = fileURLToPath(new URL("./fixtures/slow-worker.mjs", import.meta.url));
describe.each(BACKENDS)("runners on %s", (backend) => {
  let t: TestRuntime;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    t = await freshRuntime(backend, { topics: testTopics() });
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill("SIGKILL");
    await t.cleanup();
  });

  const count = async (state: string) =>
    Number(
      (
        await t.database.db
          .selectFrom("messages")
          .select((eb) => eb.fn.countAll().as("n"))
          .where("state", "=", state as never)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const effectCounts = async () =>
    t.database.db
      .selectFrom("analysis_runs")
      .select(["item_id", (eb) => eb.fn.countAll().as("n")])
      .groupBy("item_id")
      .execute();

  /** Publishes `n` messages in one statement (bulk, as a test fixture). */
  async function seed(topic: string, n: number): Promise<void> {
    const now = Date.now();
    for (let start = 0; start < n; start += 1_000) {
      const rows = Array.from({ length: Math.min(1_000, n - start) }, (_, i) => ({
        topic,
        key: JSON.stringify({ id: `m${start + i}` }),
        data: "{}",
        state: "pending" as const,
        priority: 0,
        attempts: 0,
        max_attempts: 10,
        run_at: now,
        created_at: now,
      }));
      await t.database.db.insertInto("messages").values(rows).execute();
    }
  }

  it("wakes an idle runner on publish, long before its poll interval", async () => {
    const POLL_MS = 60_000;
    const pool = new RunnerPool(t.runtime, { concurrency: 2, pollMs: POLL_MS });
    pool.start();
    try {
      await sleep(100); // both loops are idle now
      const started = Date.now();
      await transaction(t.database, (trx) =>
        publish(trx, t.runtime, { topic: TEST_TOPIC, key: { id: "wake" } }),
      );
      await waitFor(
        "the message to be done",
        async () => ((await count("done")) === 1 ? true : undefined),
        POLL_MS / 3,
      );
      // Woken, not polled: well inside the poll interval, with room for a loaded machine
      // (how fast a wake-up is, is bench/wakeup-latency.ts's business).
      expect(Date.now() - started).toBeLessThan(POLL_MS / 4);
    } finally {
      await pool.stop();
    }
  });

  it("two worker processes share 10,000 messages, each processed exactly once", async () => {
    await seed("slow", 10_000);
    for (let i = 0; i < 2; i++) {
      const w = spawnNode([SLOW_WORKER, t.url, "30000", "0"]);
      children.push(w.child);
    }
    await waitFor(
      "all messages done",
      async () => ((await count("done")) === 10_000 ? true : undefined),
      60_000,
    );
    const effects = await effectCounts();
    expect(effects).toHaveLength(10_000);
    expect(effects.every((e) => Number(e.n) === 1)).toBe(true);
    // No message needed a second attempt: no claim was lost or doubled.
    const byProcess = await t.database.db
      .selectFrom("messages")
      .select((eb) => eb.fn.max("attempts").as("a"))
      .executeTakeFirstOrThrow();
    expect(Number(byProcess.a)).toBe(1);
  }, 90_000);

  it("takes a SIGKILLed worker's batch back once its lease ends, and runs it once", async () => {
    await seed("slow", 5);
    const leaseMs = 1_500;
    const victim = spawnNode([SLOW_WORKER, t.url, String(leaseMs), "60000"]);
    children.push(victim.child);
    await waitFor("the victim to claim", async () =>
      victim.output().includes("claimed") ? true : undefined,
    );
    victim.child.kill("SIGKILL");
    await victim.exited;
    const held = await t.database.db
      .selectFrom("messages")
      .select("lease_expires_at")
      .where("state", "=", "running")
      .execute();
    expect(held).toHaveLength(5);
    const leaseEnds = Math.max(...held.map((m) => Number(m.lease_expires_at)));
    const rescuer = spawnNode([SLOW_WORKER, t.url, String(leaseMs), "0"]);
    children.push(rescuer.child);
    await waitFor("the rescuer to start", async () =>
      rescuer.output().includes("ready") ? true : undefined,
    );
    const readyAt = Date.now();
    await waitFor("the rescuer to claim", async () =>
      rescuer.output().includes("claimed") ? true : undefined,
    );
    const claimedAt = Date.now();
    // Not before the lease ended; then within what the code promises (housekeeping every
    // quarter lease, an idle runner's 100 ms poll), with room for a loaded machine.
    expect(claimedAt).toBeGreaterThanOrEqual(leaseEnds);
    expect(claimedAt - Math.max(leaseEnds, readyAt)).toBeLessThan(leaseMs / 4 + 100 + 3_000);
    await waitFor("the rescue", async () => ((await count("done")) === 5 ? true : undefined), 20_000);
    const effects = await effectCounts();
    expect(effects.map((e) => Number(e.n))).toEqual([1, 1, 1, 1, 1]);
  });

  it("SIGTERM mid-batch finishes the claimed batch and loses nothing", async () => {
    await seed("slow", 12);
    const worker = spawnNode([SLOW_WORKER, t.url, "30000", "700"]);
    children.push(worker.child);
    await waitFor("a claim", async () => (worker.output().includes("claimed") ? true : undefined));
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
    expect(worker.output()).toContain("stopped");
    expect(await count("running")).toBe(0);
    const doneByFirst = await count("done");
    expect(doneByFirst).toBeGreaterThanOrEqual(5);
    // Another worker finishes the rest; every message's effect exactly once.
    const next = spawnNode([SLOW_WORKER, t.url, "30000", "0"]);
    children.push(next.child);
    await waitFor("the rest", async () => ((await count("done")) === 12 ? true : undefined));
    expect((await effectCounts()).every((e) => Number(e.n) === 1)).toBe(true);
    expect(await effectCounts()).toHaveLength(12);
  });

  it("relabel worker processes published messages and stops on SIGTERM", async () => {
    await t.database.db
      .insertInto("conversations")
      .values({ fs_id: "c1", subject: "", messages: "[]", metadata: "{}", created_at: 1, updated_at: 1 })
      .execute();
    const worker = spawnNode([CLI, "worker", "--concurrency", "2"], {
      DATABASE_URL: t.url,
      RELABEL_API_TOKEN: "x".repeat(20),
    });
    children.push(worker.child);
    await sleep(300);
    await transaction(t.database, (trx) =>
      publish(trx, t.runtime, { topic: "conversation_note_analysis", key: { conversation_fs_id: "c1" } }),
    );
    // The worker process may still be starting (seconds on a loaded machine): it claims at start.
    await waitFor("the analysis", async () => ((await count("done")) === 1 ? true : undefined), 25_000);
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
    const { rows } = await sql<{ n: number }>`select count(*) as n from analysis_runs`.execute(t.database.db);
    expect(Number(rows[0]?.n)).toBe(1);
  });
});
