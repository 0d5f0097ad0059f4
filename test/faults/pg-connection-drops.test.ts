import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { type FreshDatabase, freshDatabase, POSTGRES_SKIPPED } from "../helpers/db.js";
import { type Spawned, sleep, spawnNode, waitFor } from "../helpers/processes.js";
import { CLI, itemsNotRunExactly, listeningUrl, messagesRunTwice, seedItems, TOKEN } from "./fixtures.js";

const ITEMS = 20_000;
const KILL_EVERY_MS = 750;

/**
 * Drops this test's own PostgreSQL connections (found by application_name,
 * never anyone else's) again and again while a 20,000-item reanalysis runs
 * on a server and a worker.
 */
describe.skipIf(POSTGRES_SKIPPED)("PostgreSQL connections dropped mid-job", () => {
  let t: FreshDatabase;
  let admin: pg.Client;
  const processes: Spawned[] = [];
  const appName = `relabel_fault_${randomBytes(4).toString("hex")}`;

  beforeEach(async () => {
    t = await freshDatabase("postgres");
    admin = new pg.Client({ connectionString: inject("pgUrl") });
    await admin.connect();
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) p.child.kill("SIGKILL");
    await admin.end();
    await t.cleanup();
  });

  const terminateOurs = async () =>
    (
      await admin.query(
        "select count(pg_terminate_backend(pid)) as n from pg_stat_activity where application_name = $1",
        [appName],
      )
    ).rows[0].n as string;

  it("reconnects workers, listeners and the server, and finishes the job with done = total", async () => {
    await seedItems(t.database, t.url, ITEMS);
    const url = new URL(t.url);
    url.searchParams.set("application_name", appName);
    const env = { DATABASE_URL: url.toString(), RELABEL_API_TOKEN: TOKEN, RELABEL_LEASE_MS: "3000" };
    const server = spawnNode([CLI, "serve", "--port", "0"], { ...env, LOG_LEVEL: "info" });
    const worker = spawnNode([CLI, "worker"], env);
    processes.push(server, worker);
    const base = await listeningUrl(server);
    const statuses = new Map<number, number>();
    const call = async (method: string, path: string) => {
      const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      return res;
    };
    const started = await call("POST", "/api/internal/labels/reanalysis?from=2000-01-01");
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: number };

    // Readers keep the server's connections busy, so drops hit requests in flight.
    let storm = true;
    const readers = Array.from({ length: 2 }, async () => {
      while (storm) {
        await call("GET", "/api/conversations?limit=200").catch(() => undefined);
        await call("GET", "/api/labels/stats").catch(() => undefined);
        await sleep(25);
      }
    });
    let kills = 0;
    let dropped = 0;
    let job: { status: string; total: number; done: number; failed: number } | undefined;
    const deadline = Date.now() + 150_000;
    while (Date.now() < deadline) {
      dropped += Number(await terminateOurs());
      kills++;
      await sleep(KILL_EVERY_MS);
      const res = await call("GET", `/api/internal/labels/reanalysis/${id}`);
      if (res.ok) job = (await res.json()) as typeof job;
      if (job?.status === "done") break;
      expect(server.child.exitCode, server.output().slice(-2000)).toBeNull();
      expect(worker.child.exitCode, worker.output().slice(-2000)).toBeNull();
    }
    storm = false;
    await Promise.all(readers);
    console.info(
      `dropped ${dropped} connections in ${kills} rounds; HTTP statuses seen: ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(kills).toBeGreaterThan(3);
    expect(dropped).toBeGreaterThan(kills);
    expect(job?.status).toBe("done");
    expect(job?.total).toBe(ITEMS);
    expect(job?.done).toBe(ITEMS);
    expect(job?.failed).toBe(0);
    // Refused while the database was away, never a 500.
    expect([...statuses.keys()].filter((s) => s >= 500 && s !== 503)).toEqual([]);
    expect(await itemsNotRunExactly(t.database, 1)).toBe(0);
    expect(await messagesRunTwice(t.database)).toBe(0);

    // Both processes are alive, serve, and listen for wake-ups again.
    expect(server.child.exitCode).toBeNull();
    expect(worker.child.exitCode).toBeNull();
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    await waitFor(
      "both listeners to be back",
      async () => {
        const { rows } = await admin.query(
          "select count(*)::int as n from pg_stat_activity where application_name = $1 and query ilike 'LISTEN%'",
          [appName],
        );
        return rows[0].n === 2 ? true : undefined;
      },
      15_000,
      200,
    );
  }, 200_000);
});
