import { readdirSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { SHUTDOWN_TIMEOUT_MS } from "../../src/cli/lifecycle.js";
import { BACKENDS, type FreshDatabase, freshDatabase, POSTGRES_SKIPPED } from "../helpers/db.js";
import { type Spawned, spawnNode, waitFor } from "../helpers/processes.js";
import {
  CLI,
  itemsNotRunExactly,
  listeningUrl,
  messageCounts,
  messagesRunTwice,
  seedItems,
  startReanalysis,
  TOKEN,
  waitForWorkInFlight,
} from "./fixtures.js";

describe("process lifecycle", () => {
  let t: FreshDatabase;
  const processes: Spawned[] = [];
  afterEach(async () => {
    for (const p of processes.splice(0)) p.child.kill("SIGKILL");
    await t.cleanup();
  });
  const start = (args: string[], env: Record<string, string> = {}) => {
    const p = spawnNode([CLI, ...args], {
      DATABASE_URL: t.url,
      RELABEL_API_TOKEN: TOKEN,
      LOG_LEVEL: "info",
      ...env,
    });
    processes.push(p);
    return p;
  };

  describe.each(BACKENDS)("on %s", (backend) => {
    it("SIGTERM during work: claimed batches finish, nothing stays claimed, exit 0 in time", async () => {
      t = await freshDatabase(backend);
      await seedItems(t.database, t.url, 12_000);
      const jobId = await startReanalysis(t.url);
      const server = start(["serve", "--port", "0"]);
      const worker = start(["worker"]);
      await listeningUrl(server);
      await waitForWorkInFlight(t.database);
      const signalled = Date.now();
      server.child.kill("SIGTERM");
      worker.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      expect(await worker.exited).toBe(0);
      const stopMs = Date.now() - signalled;
      // In time: past SHUTDOWN_TIMEOUT_MS a process says so and exits 1. Seen from here, its exit
      // also takes the signal's and the exit's way through a loaded machine: margin for that.
      for (const p of [server, worker]) expect(p.output()).not.toContain("stop timed out");
      expect(stopMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 5_000);
      expect(server.output()).toContain("stopping: finishing claimed work");
      // Every claim was settled before exit: nothing waits for a lease to expire.
      const after = await messageCounts(t.database);
      expect(after.running ?? 0).toBe(0);
      // Work is left for the next worker (pending messages, or items not yet fanned out).
      const unfinished = await t.database.db
        .selectFrom("reanalysis_jobs")
        .select(["status"])
        .where("id", "=", jobId)
        .executeTakeFirstOrThrow();
      expect(unfinished.status).not.toBe("done");

      // The rest is done by whoever comes next, each item exactly once.
      start(["worker"]);
      await waitFor(
        "the job to finish",
        async () => {
          const job = await t.database.db
            .selectFrom("reanalysis_jobs")
            .select(["status", "done", "total"])
            .where("id", "=", jobId)
            .executeTakeFirstOrThrow();
          return job.status === "done" ? job : undefined;
        },
        60_000,
        100,
      );
      expect(await itemsNotRunExactly(t.database, 1)).toBe(0);
      expect(await messagesRunTwice(t.database)).toBe(0);
      console.info(`[${backend}] SIGTERM to exit: ${stopMs} ms`);
    });
  });

  it.skipIf(POSTGRES_SKIPPED)(
    "two serves starting at once on an empty PostgreSQL migrate it once",
    async () => {
      t = await freshDatabase("postgres", { migrated: false });
      const a = start(["serve", "--port", "0"]);
      const b = start(["serve", "--port", "0"]);
      const [baseA, baseB] = await Promise.all([listeningUrl(a), listeningUrl(b)]);
      for (const base of [baseA, baseB]) expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const applied = await t.database.db
        .selectFrom("relabel_migrations")
        .select(["id", (eb) => eb.fn.countAll().as("n")])
        .groupBy("id")
        .execute();
      const migrations = readdirSync(new URL("../../migrations/", import.meta.url)).filter((f) =>
        f.endsWith(".postgres.sql"),
      );
      expect(applied.length).toBe(migrations.length);
      expect(applied.every((m) => Number(m.n) === 1)).toBe(true);
      // Each migration was applied by one process (they may take turns), never by both.
      const appliedBy = [a, b].flatMap((p) =>
        p
          .output()
          .split("\n")
          .filter((line) => line.includes("migrations applied"))
          .flatMap((line) => (JSON.parse(line) as { migrations: string[] }).migrations),
      );
      expect(appliedBy).toHaveLength(applied.length);
      expect(new Set(appliedBy).size).toBe(applied.length);
    },
  );
});
