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
    // The lock is held until both have answered: no timer decides the order, a busy machine cannot.
    other.exec("begin immediate");
    let released = false;
    const write = t
      .api({ method: "PUT", url: "/api/conversations/c1", payload: conversation })
      .then((res) => ({ statusCode: res.statusCode, afterRelease: released }));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the write is now waiting for the lock

    const health = await t.app.inject({ method: "GET", url: "/healthz" });
    const read = await t.api({ method: "GET", url: "/api/conversations/c0" });
    expect(health.statusCode).toBe(200);
    expect(read.statusCode).toBe(200);
    // Both answered while the lock was held. Had the waiting write blocked the event loop, they
    // could not have: the write would have waited out its busy timeout (10 s) and failed with 503.
    expect(other.inTransaction).toBe(true);
    other.exec("commit");
    released = true;
    // The write waited for the lock, then went through.
    expect(await write).toEqual({ statusCode: 201, afterRelease: true });
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
