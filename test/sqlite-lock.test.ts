import BetterSqlite3 from "better-sqlite3";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freshApp, type TestApp } from "./helpers/app.js";

/**
 * Another process (here: another connection) holding SQLite's write lock
 * must not freeze the server: a writer waits for it without blocking the
 * event loop, and health checks and reads answer meanwhile. (PostgreSQL's
 * lock waits happen in the server, never in this process.)
 */
describe("SQLite locks and long reads", () => {
  let t: TestApp;
  let other: BetterSqlite3.Database;
  beforeEach(async () => {
    t = await freshApp("sqlite");
    other = new BetterSqlite3(t.url.replace(/^sqlite:/, ""));
  });
  afterEach(async () => {
    if (other.inTransaction) other.exec("rollback");
    other.close();
    await t.cleanup();
  });

  const timed = async (run: () => Promise<{ statusCode: number }>) => {
    const started = performance.now();
    const { statusCode } = await run();
    return { statusCode, ms: performance.now() - started };
  };

  it("leaves health checks and reads answering while a write waits for it, then the write goes through", async () => {
    const conversation = { messages: [{ role: "customer", text: "hello" }] };
    await t.api({ method: "PUT", url: "/api/conversations/c0", payload: conversation });
    const HOLD_MS = 4_000;
    other.exec("begin immediate");
    const released = new Promise<void>((resolve) =>
      setTimeout(() => {
        other.exec("commit");
        resolve();
      }, HOLD_MS),
    );
    const started = performance.now();
    const write = t.api({ method: "PUT", url: "/api/conversations/c1", payload: conversation });
    await new Promise((resolve) => setTimeout(resolve, 200)); // the write is now waiting for the lock

    const health = await timed(() => t.app.inject({ method: "GET", url: "/healthz" }));
    const read = await timed(() => t.api({ method: "GET", url: "/api/conversations/c0" }));
    expect(health.statusCode).toBe(200);
    expect(read.statusCode).toBe(200);
    // Blocked, either would have taken the rest of the hold (over 3.5 s); half the hold leaves
    // room for a loaded machine (idle, each takes milliseconds).
    expect(health.ms).toBeLessThan(HOLD_MS / 2);
    expect(read.ms).toBeLessThan(HOLD_MS / 2);

    expect((await write).statusCode).toBe(201);
    expect(performance.now() - started).toBeGreaterThanOrEqual(HOLD_MS - 50);
    await released;
  });

  it("runs a long read beside the event loop: health checks and other reads answer meanwhile", async () => {
    const conversation = { messages: [{ role: "customer", text: "hello" }] };
    await t.api({ method: "PUT", url: "/api/conversations/c0", payload: conversation });
    // Seconds of work in one statement, as a statistics query over millions of rows would be.
    const long = sql<{
      n: number;
    }>`with recursive c(x) as (select 1 union all select x + 1 from c where x < 20000000)
      select count(*) as n from c`.execute(t.database.db);
    const started = performance.now();
    const health = await timed(() => t.app.inject({ method: "GET", url: "/healthz" }));
    const read = await timed(() => t.api({ method: "GET", url: "/api/conversations/c0" }));
    const write = await timed(() =>
      t.api({ method: "PUT", url: "/api/conversations/c1", payload: conversation }),
    );
    expect([health.statusCode, read.statusCode, write.statusCode]).toEqual([200, 200, 201]);
    const { rows } = await long;
    const longMs = performance.now() - started;
    expect(rows[0]?.n).toBe(20_000_000);
    // Each answered long before the long read finished (on the event loop, they waited for all of it).
    expect(Math.max(health.ms, read.ms, write.ms)).toBeLessThan(longMs / 2);
  });
});
