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
/** A worker's housekeeping (lease recovery first) runs every quarter lease (src/runners/worker.ts). */
const HOUSEKEEPING_MS = LEASE_MS / 4;
/** Room for a loaded 2-core machine on top of what the code promises. */
const RECLAIM_MARGIN_MS = 3_000;

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

  const startWorker = (logLevel = "warn") => {
    const w = spawnNode([CLI, "worker"], {
      DATABASE_URL: t.url,
      RELABEL_LEASE_MS: String(LEASE_MS),
      LOG_LEVEL: logLevel,
    });
    workers.push(w);
    return w;
  };

  it("loses no message, labels each item exactly once, and takes the batch back once its lease ends", async () => {
    await seedItems(t.database, t.url, ITEMS);
    const jobId = await startReanalysis(t.url);
    // The victim works alone until it holds a batch, so what is running at the kill is its own.
    const victim = startWorker();
    await waitForWorkInFlight(t.database);
    victim.child.kill("SIGKILL");
    await victim.exited;
    const inFlight = await t.database.db
      .selectFrom("messages")
      .select(["id", "lease_token", "lease_expires_at"])
      .where("state", "=", "running")
      .execute();
    expect(inFlight.length).toBeGreaterThan(0);
    const ids = inFlight.map((m) => m.id);
    const victimTokens = [...new Set(inFlight.map((m) => m.lease_token as string))];
    // The victim's last lease (stamped, or extended, before the kill) ends then.
    const leaseEnds = Math.max(...inFlight.map((m) => Number(m.lease_expires_at)));

    // The replacement logs "worker started" once its runners and housekeeping have begun.
    const replacement = startWorker("info");
    await waitFor("the replacement worker to start", async () =>
      replacement.output().includes("worker started") ? true : undefined,
    );
    const startedAt = Date.now();
    // The victim's leases are taken back by housekeeping: at the replacement's start if they
    // have ended by then, else at its next pass (every quarter lease) after they end.
    await waitFor(
      "the victim's leases to be taken back",
      async () => {
        const held = await t.database.db
          .selectFrom("messages")
          .select("id")
          .where("state", "=", "running")
          .where("lease_token", "in", victimTokens)
          .executeTakeFirst();
        return held === undefined ? true : undefined;
      },
      LEASE_MS + 60_000,
      10,
    );
    const reclaimedAt = Date.now();
    // Never before the lease ended (that would let two runners work on one message) …
    expect(reclaimedAt).toBeGreaterThanOrEqual(leaseEnds);
    // … and within a housekeeping interval of when it could be taken (the lease's end or the
    // replacement's start, whichever is later), plus a margin for a loaded machine: a pass
    // skipped while the previous one prunes, a slow query, this poll. How long the batch then
    // takes to run is speed, not lease recovery: bench/ measures that.
    const takenBackMs = reclaimedAt - Math.max(leaseEnds, startedAt);
    expect(takenBackMs).toBeLessThan(HOUSEKEEPING_MS + RECLAIM_MARGIN_MS);

    // Everything that was claimed at the kill, the victim's batch included, is then done.
    await waitFor(
      "the claimed messages to be done",
      async () => ((await countDone(t.database, ids)) === ids.length ? true : undefined),
      90_000,
      10,
    );

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
    console.info(
      `[${backend}] SIGKILL recovery: the victim's leases taken back ${takenBackMs} ms after they could be`,
    );
  });
});
