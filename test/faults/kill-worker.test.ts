import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BACKENDS, type FreshDatabase, freshDatabase } from "../helpers/db.js";
import { type Spawned, spawnNode, waitFor } from "../helpers/processes.js";
import {
  CLI,
  countDone,
  itemsNotRunExactly,
  messageCounts,
  messagesRunTwice,
  seedItems,
  startReanalysis,
  waitForWorkInFlight,
} from "./fixtures.js";

const ITEMS = 6_000;
const LEASE_MS = 1_500;

describe.each(BACKENDS)("SIGKILL a relabel worker mid-batch on %s", (backend) => {
  let t: FreshDatabase;
  const workers: Spawned[] = [];
  beforeEach(async () => {
    t = await freshDatabase(backend);
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) w.child.kill("SIGKILL");
    await t.cleanup();
  });

  const startWorker = () => {
    const w = spawnNode([CLI, "worker"], { DATABASE_URL: t.url, RELABEL_LEASE_MS: String(LEASE_MS) });
    workers.push(w);
    return w;
  };

  it("loses no message, labels each item exactly once, and recovers within the lease plus 2 s", async () => {
    await seedItems(t.database, t.url, ITEMS);
    const jobId = await startReanalysis(t.url);
    // The victim works alone until it holds a batch, so what is running at the kill is its own.
    const victim = startWorker();
    await waitForWorkInFlight(t.database);
    victim.child.kill("SIGKILL");
    const killedAt = Date.now();
    await victim.exited;
    const inFlight = await t.database.db
      .selectFrom("messages")
      .select("id")
      .where("state", "=", "running")
      .execute();
    expect(inFlight.length).toBeGreaterThan(0);
    const ids = inFlight.map((m) => m.id);
    startWorker();

    // Everything that was claimed at the kill, the victim's batch included, is done in time.
    await waitFor(
      "the claimed messages to be done",
      async () => ((await countDone(t.database, ids)) === ids.length ? true : undefined),
      LEASE_MS + 10_000,
      10,
    );
    const recoveredMs = Date.now() - killedAt;
    expect(recoveredMs).toBeLessThan(LEASE_MS + 2_000);

    const job = await waitFor(
      "the job to finish",
      async () => {
        const row = await t.database.db
          .selectFrom("reanalysis_jobs")
          .selectAll()
          .where("id", "=", jobId)
          .executeTakeFirstOrThrow();
        return row.status === "done" ? row : undefined;
      },
      90_000,
      100,
    );
    expect(Number(job.done)).toBe(ITEMS);
    expect(Number(job.failed)).toBe(0);
    // The victim's batch was taken over, not lost: exactly its messages lost a lease, and
    // that did not count as an attempt (the crash was the runner's, not the message's).
    const retried = await t.database.db
      .selectFrom("messages")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("lease_expiries", ">", 0)
      .executeTakeFirstOrThrow();
    expect(Number(retried.n)).toBe(ids.length);
    const maxAttempts = await t.database.db
      .selectFrom("messages")
      .select((eb) => eb.fn.max("attempts").as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(maxAttempts.n)).toBe(1);
    expect(await itemsNotRunExactly(t.database, 1)).toBe(0);
    expect(await messagesRunTwice(t.database)).toBe(0);
    const counts = await messageCounts(t.database);
    expect(counts.running ?? 0).toBe(0);
    expect(counts.failed ?? 0).toBe(0);
    console.info(`[${backend}] SIGKILL recovery: claimed messages done ${recoveredMs} ms after the kill`);
  });
});
