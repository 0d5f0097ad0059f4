import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freshApp, type TestApp } from "./helpers/app.js";
import { runCli } from "./helpers/cli.js";
import { BACKENDS } from "./helpers/db.js";

/**
 * Issue 19, item 11: `--json` prints exactly one JSON document on stdout,
 * shaped as the API's answer for the same question; usage errors exit 2.
 * Each command runs as a user runs it (the built CLI) against the database
 * an app on the same database answers from.
 */

const TAXONOMY = {
  labels: [
    { name: "billing/refund", rules: { keywords: ["refund"] } },
    { name: "shipping", rules: { keywords: ["parcel"] } },
  ],
};

function ndjson(lines: unknown[]): string {
  const path = join(mkdtempSync(join(tmpdir(), "relabel-cli-json-")), "items.ndjson");
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join("\n"));
  return path;
}

describe.each(BACKENDS)("relabel --json on %s", { timeout: 180_000 }, (backend) => {
  let t: TestApp;
  let env: Record<string, string>;
  beforeEach(async () => {
    t = await freshApp(backend);
    env = { DATABASE_URL: t.url };
    await t.api({ method: "PUT", url: "/api/taxonomy", payload: TAXONOMY });
  });
  afterEach(() => t.cleanup());

  const get = async (url: string) => {
    const res = await t.api({ method: "GET", url });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  /** Runs a command with --json: it succeeds and stdout is exactly one JSON document. */
  const json = async (...args: string[]) => {
    const r = await runCli([...args, "--json"], env);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  it("import, drain, labels stats|items|history, taxonomy show, model list: the API's answers", async () => {
    const file = ndjson([
      { type: "conversation", fs_id: "c-1", messages: [{ role: "customer", text: "a refund please" }] },
      { type: "conversation", fs_id: "c-2", messages: [{ role: "customer", text: "refund and parcel" }] },
      { type: "note", note_id: "n-1", text: "customer wants a refund" },
    ]);
    expect(await json("import", file)).toEqual({
      conversations: 2,
      note_versions: 1,
      skipped: 0,
      rejected: 0,
      lines: 3,
      interrupted: false,
    });
    const drained = await json("drain");
    expect(drained).toEqual({ processed: 3, remaining: 0, interrupted: false });

    expect(await json("labels", "stats")).toEqual(await get("/api/labels/stats"));
    expect(await json("labels", "items", "billing/refund")).toEqual(
      await get("/api/labels/billing%2Frefund/items?limit=50"),
    );
    expect(await json("labels", "items", "billing/refund", "--type", "notes", "--limit", "1")).toEqual(
      await get("/api/labels/billing%2Frefund/items?limit=1&type=note"),
    );
    const history = await json("labels", "history", "conversations", "c-2");
    expect(history.items.length).toBeGreaterThan(0);
    expect(history).toEqual(await get("/api/conversations/c-2/labels/history"));
    expect(await json("labels", "history", "notes", "n-1")).toEqual(
      await get("/api/notes/n-1/labels/history"),
    );
    expect(await json("taxonomy", "show")).toEqual(await get("/api/taxonomy"));
    expect(await json("model", "list")).toEqual(await get("/api/internal/models"));
  });

  it("reanalyze, job show|cancel and status: the job and the queues as the API has them", async () => {
    await t.api({
      method: "PUT",
      url: "/api/conversations/c-1",
      payload: { messages: [{ role: "customer", text: "refund" }] },
    });
    const started = await json("reanalyze", "--from", "2000-01-01");
    expect(started).toEqual(await get(`/api/internal/labels/reanalysis/${started.id}`));
    expect(await json("job", "show", String(started.id))).toEqual(
      await get(`/api/internal/labels/reanalysis/${started.id}`),
    );

    const status = await json("status");
    const topics = (await get("/api/internal/pubsub/topics")).topics;
    // Ages and per-minute counts move with the clock between the two answers; the rest must agree.
    const still = (list: Record<string, unknown>[]) =>
      list.map(({ oldest_pending_age_ms: _a, processed_last_minute: _p, ...rest }) => rest);
    expect(Object.keys(status)).toEqual(["topics", "jobs"]);
    expect(still(status.topics)).toEqual(still(topics));
    expect(status.jobs).toEqual(await get("/api/internal/labels/reanalysis?limit=10"));

    const waited = await json("reanalyze", "--from", "2000-01-01", "--wait");
    expect(waited.status).toBe("done");
    expect(waited).toEqual(await get(`/api/internal/labels/reanalysis/${waited.id}`));

    const second = await json("reanalyze", "--from", "2000-01-01");
    const cancelled = await json("job", "cancel", String(second.id));
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled).toEqual(await get(`/api/internal/labels/reanalysis/${second.id}`));
  });

  it("status counts a running message whose lease ran out as expired, not running (CLI and API)", async () => {
    await t.api({
      method: "PUT",
      url: "/api/conversations/c-1",
      payload: { messages: [{ role: "customer", text: "refund" }] },
    });
    await t.api({
      method: "PUT",
      url: "/api/conversations/c-2",
      payload: { messages: [{ role: "customer", text: "parcel" }] },
    });
    // Two claimed messages: one whose runner still holds its lease, one whose runner died.
    const ids = (
      await t.database.db
        .selectFrom("messages")
        .select("id")
        .where("state", "=", "pending")
        .orderBy("id")
        .execute()
    ).map((m) => m.id);
    expect(ids).toHaveLength(2);
    const claim = (id: number, leaseExpiresAt: number) =>
      t.database.db
        .updateTable("messages")
        .set({ state: "running", attempts: 1, lease_token: `token-${id}`, lease_expires_at: leaseExpiresAt })
        .where("id", "=", id)
        .execute();
    await claim(ids[0] as number, Date.now() + 3_600_000);
    await claim(ids[1] as number, Date.now() - 60_000);

    const analysis = (list: { topic: string }[]) =>
      list.find((q) => q.topic === "conversation_note_analysis");
    const expected = { pending: 0, running: 1, expired: 1, failed: 0 };
    expect(analysis((await json("status")).topics)).toMatchObject(expected);
    expect(analysis((await get("/api/internal/pubsub/topics")).topics)).toMatchObject(expected);
    const text = await runCli(["status"], env);
    expect(text.stdout).toMatch(/topic\s+pending\s+running\s+expired\s+dead/);
    expect(text.stdout).toMatch(/conversation_note_analysis\s+0\s+1\s+1\s+0/);
  });

  it("an error with --json is the API's error body on stderr, and nothing on stdout", async () => {
    const r = await runCli(["labels", "history", "conversations", "nobody", "--json"], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const api = await t.api({ method: "GET", url: "/api/conversations/nobody/labels/history" });
    expect(api.statusCode).toBe(404);
    expect(JSON.parse(r.stderr)).toEqual(api.json());
  });
});

describe("relabel usage errors", () => {
  it("exit 2: unknown option or command, missing argument, bad value; --help exits 0", {
    timeout: 180_000,
  }, async () => {
    const env = { DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), "relabel-usage-")), "r.db")}` };
    const cases: string[][] = [
      ["status", "--no-such-option"],
      ["no-such-command"],
      ["labels", "items"],
      ["labels", "items", "billing/refund", "--limit", "lots"],
      ["labels", "items", "billing/refund", "--limit", "0"],
      ["labels", "items", "billing/refund", "--type", "tickets"],
      ["labels", "history", "tickets", "c-1"],
      ["tick", "--max-messages", "-3"],
      ["reanalyze", "--from", "last tuesday"],
      ["reanalyze", "--type", "tickets"],
      ["job", "show", "first"],
      ["status", "extra-argument"],
    ];
    const results = await Promise.all(cases.map((args) => runCli(args, env)));
    for (const [i, args] of cases.entries()) {
      const r = results[i] as Awaited<ReturnType<typeof runCli>>;
      expect(r.code, `relabel ${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stdout, args.join(" ")).toBe("");
      expect(r.stderr.trim().length, args.join(" ")).toBeGreaterThan(0);
    }
    expect((await runCli(["--help"], env)).code).toBe(0);
    expect((await runCli(["labels", "--help"], env)).code).toBe(0);
  });
});
