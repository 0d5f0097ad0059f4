import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { analysisTopic, previewTopic } from "../src/analysis/topic.js";
import { claim } from "../src/pubsub/queue.js";
import { TopicRegistry } from "../src/pubsub/registry.js";
import { FANOUT_TOPIC, fanOutTopic } from "../src/reanalysis/fanout.js";
import { tick as runTick } from "../src/runners/tick.js";
import { freshApp, TEST_TOKEN, type TestApp } from "./helpers/app.js";
import { insertConversations } from "./helpers/bulk.js";
import { BACKENDS } from "./helpers/db.js";
import { RUNBOOK, runbookTickLoop, runInConsole } from "./helpers/runbook.js";

const DAY = 86_400_000;
const TAXONOMY = {
  labels: [
    { name: "billing/refund", rules: { keywords: ["refund"] } },
    { name: "shipping", rules: { keywords: ["parcel"] } },
  ],
};

describe.each(BACKENDS)("reanalysis on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend);
    await t.api({ method: "PUT", url: "/api/taxonomy", payload: TAXONOMY });
  });
  afterEach(() => t.cleanup());

  const start = (query = "") => t.api({ method: "POST", url: `/api/internal/labels/reanalysis${query}` });
  const job = async (id: number) =>
    (await t.api({ method: "GET", url: `/api/internal/labels/reanalysis/${id}` })).json();
  const tick = async (query = "") =>
    (await t.api({ method: "POST", url: `/api/tick/runners${query}` })).json();
  const drain = async () => {
    for (let i = 0; i < 1_000; i++) if ((await tick()).remaining === 0) return;
    throw new Error("did not drain");
  };
  const labelCount = async (label: string) =>
    Number(
      (
        await t.database.db
          .selectFrom("label_assignments")
          .select((eb) => eb.fn.countAll().as("n"))
          .where("label", "=", label)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it("takes the runbook's request verbatim, and its tick loop drives the job to done", async () => {
    await insertConversations(t.database, 30);
    const origin = await t.app.listen({ port: 0, host: "127.0.0.1" });
    const auth = { authorization: `Bearer ${TEST_TOKEN}` };
    const request = RUNBOOK.match(
      /fetch\('\/api\/internal\/labels\/reanalysis', \{method: "POST"\}\)/,
    )?.[0] as string;
    const [answer] = await runInConsole(request, origin, auth);
    expect(answer?.slice(0, 4)).toBe("202 ");
    const created = JSON.parse(answer?.slice(4) ?? "{}");
    expect(created).toMatchObject({
      status: "fanning_out",
      type: "both",
      // Counted when the job is created (issue 19 item 7): its size is known from the first answer.
      total: 30,
      done: 0,
      url: `/api/internal/labels/reanalysis/${created.id}`,
    });
    // Defaults: the last 30 days up to now.
    const span = Date.parse(created.until) - Date.parse(created.from);
    expect(span).toBe(30 * DAY);
    expect(Math.abs(Date.parse(created.until) - Date.now())).toBeLessThan(10_000);

    const lines = await runInConsole(runbookTickLoop(3), origin, auth);
    expect(lines).toContain("Successful: 3");
    expect(await job(created.id)).toMatchObject({
      status: "done",
      total: 30,
      done: 30,
      failed: 0,
      skipped: 0,
      items_changed: 30,
    });
    expect((await job(created.id)).changes).toEqual([{ label: "billing/refund", added: 30, removed: 0 }]);
    expect(await tick()).toMatchObject({ remaining: 0 });
    expect(await labelCount("billing/refund")).toBe(30);
  });

  it("sets a Location header, and lists jobs", async () => {
    const res = await start("?type=notes");
    expect(res.statusCode).toBe(202);
    expect(res.headers.location).toBe(res.json().url);
    const list = (await t.api({ method: "GET", url: "/api/internal/labels/reanalysis" })).json();
    expect(list.items.map((j: { id: number }) => j.id)).toEqual([res.json().id]);
  });

  it("includes both bounds and filters by type", async () => {
    const from = Date.parse("2026-01-10T00:00:00Z");
    const until = Date.parse("2026-01-20T23:59:59.999Z");
    const times = [from - 1, from, from + DAY, until, until + 1];
    await insertConversations(t.database, times.length, { at: (i) => times[i] as number });
    for (const [i, at] of times.entries()) {
      await t.api({
        method: "POST",
        url: `/api/notes/n${i}/versions`,
        payload: { text: "parcel", created_at: at },
      });
    }
    await drain();
    const conversations = (await start("?from=2026-01-10&until=2026-01-20&type=conversations")).json();
    const notes = (await start(`?from=${from}&until=${until}&type=notes`)).json();
    const both = (await start("?from=2026-01-10T00:00:00Z&until=2026-01-20")).json();
    await drain();
    expect(await job(conversations.id)).toMatchObject({
      status: "done",
      total: 3,
      done: 3,
      type: "conversations",
    });
    expect(await job(notes.id)).toMatchObject({ status: "done", total: 3, done: 3, type: "notes" });
    expect(await job(both.id)).toMatchObject({ status: "done", total: 6 });
  });

  it.each([
    ["?from=2026-01-20&until=2026-01-10", "from"],
    ["?from=2026-02-30", "from"],
    ["?until=2026-13-01", "until"],
    ["?from=1700000000", "from"],
    ["?type=tickets", "type"],
    ["?type=conversations&type=notes", "type"],
    ["?from=2026-01-01&from=2026-01-02", "from"],
    ["?form=2026-01-01", "form"],
    ["?dry_run=maybe", "dry_run"],
  ])("refuses %s, naming %s, creating nothing", async (query, parameter) => {
    const res = await start(query);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.message).toContain(parameter);
    expect(await t.database.db.selectFrom("reanalysis_jobs").selectAll().execute()).toEqual([]);
    expect(await t.database.db.selectFrom("messages").selectAll().execute()).toEqual([]);
  });

  it.each([
    ["time", 2_500],
    ["id", 4_500],
  ])(
    "walks the items by %s when %i of 6,000 are in range, each in-range item exactly once",
    async (walk, inside) => {
      const from = Date.parse("2026-01-10T00:00:00Z");
      // Ids and times in different orders, so that either walk crosses chunk boundaries in both.
      const inRange = (i: number) => (i * 7919) % 6_000 < inside;
      await insertConversations(t.database, 6_000, {
        at: (i) => (inRange(i) ? from + ((i * 104_729) % 1_000_000) : from - 1 - i),
      });
      const created = (await start("?from=2026-01-10&type=conversations")).json();
      await drain();
      expect(await job(created.id)).toMatchObject({ status: "done", total: inside, done: inside, failed: 0 });
      const row = await t.database.db
        .selectFrom("reanalysis_jobs")
        .select("cursor_walk")
        .where("id", "=", created.id)
        .executeTakeFirstOrThrow();
      expect(row.cursor_walk).toBe(walk);
      const runs = await t.database.db
        .selectFrom("analysis_runs")
        .select(["item_id", (eb) => eb.fn.countAll().as("n")])
        .groupBy("item_id")
        .execute();
      const expected = Array.from({ length: 6_000 }, (_, i) => i).filter(inRange);
      expect(runs.length).toBe(expected.length);
      expect(runs.every((r) => Number(r.n) === 1)).toBe(true);
      expect(new Set(runs.map((r) => r.item_id))).toEqual(
        new Set(expected.map((i) => `bulk-${String(i).padStart(7, "0")}`)),
      );
    },
  );

  it("completes a 50,000-item job with done = total and current labels everywhere", async () => {
    await insertConversations(t.database, 50_000, { text: (i) => (i % 2 ? "refund" : "parcel") });
    const created = (await start()).json();
    await drain();
    expect(await job(created.id)).toMatchObject({
      status: "done",
      total: 50_000,
      done: 50_000,
      failed: 0,
      items_changed: 50_000,
    });
    expect(await labelCount("billing/refund")).toBe(25_000);
    expect(await labelCount("shipping")).toBe(25_000);
    const runs = await t.database.db
      .selectFrom("analysis_runs")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(runs.n)).toBe(50_000);
  }, 120_000);

  it("lets a live write overtake a running bulk job", async () => {
    await insertConversations(t.database, 3_000);
    const created = (await start()).json();
    await tick("?max_messages=300"); // fans out the first chunks and starts on them
    await t.api({
      method: "PUT",
      url: "/api/conversations/live",
      payload: { messages: [{ role: "customer", text: "where is my parcel" }] },
    });
    const next = await tick("?max_messages=100");
    expect(next.remaining).toBeGreaterThan(1_000);
    const live = (await t.api({ method: "GET", url: "/api/conversations/live" })).json();
    expect(live.labels.map((l: { name: string }) => l.name)).toEqual(["shipping"]);
    expect((await job(created.id)).status).not.toBe("done");
  });

  it("cancels mid-way, keeping what a live publish still needs", async () => {
    await insertConversations(t.database, 3_000);
    const created = (await start()).json();
    await tick("?max_messages=50");
    // A single publish for an item the job already queued: it dedups onto the bulk message and raises its priority.
    const shared = await t.api({
      method: "POST",
      url: "/api/internal/pubsub/publish",
      payload: { topic: "conversation_note_analysis", key: { conversation_fs_id: "bulk-0001999" }, data: {} },
    });
    expect(shared.json().deduplicated).toBe(true);
    const cancelled = await t.api({ method: "DELETE", url: `/api/internal/labels/reanalysis/${created.id}` });
    expect(cancelled.json()).toMatchObject({ status: "cancelled" });
    const drained = await tick();
    expect(drained.remaining).toBe(0);
    const stillLabeled = (await t.api({ method: "GET", url: "/api/conversations/bulk-0001999" })).json();
    expect(stillLabeled.labels.map((l: { name: string }) => l.name)).toEqual(["billing/refund"]);
    expect(await labelCount("billing/refund")).toBeLessThan(3_000);
    expect((await job(created.id)).status).toBe("cancelled");
  });

  it("counts an item whose analysis is dead-lettered as failed, and still finishes", async () => {
    await insertConversations(t.database, 10);
    const real = analysisTopic();
    t.runtime.topics = new TopicRegistry([
      {
        ...real,
        maxAttempts: 1,
        async handle(messages, context) {
          const outcome = await real.handle(messages, context);
          const poisoned = messages.filter((m) => m.key.conversation_fs_id === "bulk-0000003");
          return { ...outcome, failed: new Map(poisoned.map((m) => [m.id, "cannot analyze"])) };
        },
      },
      previewTopic(),
      fanOutTopic(),
    ]);
    const created = (await start()).json();
    for (let i = 0; i < 10 && (await runTick(t.runtime)).remaining > 0; i++);
    expect(await job(created.id)).toMatchObject({
      status: "done",
      total: 10,
      done: 9,
      failed: 1,
      skipped: 0,
    });
  });

  it("a dry run reports what would change and writes no labels", async () => {
    await insertConversations(t.database, 50);
    await t.api({ method: "PUT", url: "/api/taxonomy", payload: TAXONOMY });
    const created = (await start("?dry_run=true")).json();
    expect(created).toMatchObject({ dry_run: true, sample_limit: 10_000 });
    await drain();
    expect(await job(created.id)).toMatchObject({
      status: "done",
      total: 50,
      done: 50,
      items_changed: 50,
      changes: [{ label: "billing/refund", added: 50, removed: 0 }],
    });
    expect(await labelCount("billing/refund")).toBe(0);
    expect(await t.database.db.selectFrom("analysis_runs").selectAll().execute()).toEqual([]);
  });

  it("resumes a fan-out whose runner died, processing no item twice", async () => {
    await insertConversations(t.database, 5_000);
    const created = (await start()).json();
    // A runner claims the fan-out step and dies: its lease runs out.
    const [step] = await claim(t.database, FANOUT_TOPIC, 1, 1);
    expect(step?.key).toEqual({ job_id: created.id });
    await new Promise((r) => setTimeout(r, 10));
    await drain();
    expect(await job(created.id)).toMatchObject({ status: "done", total: 5_000, done: 5_000 });
    const perItem = await t.database.db
      .selectFrom("analysis_runs")
      .select(["item_id", (eb) => eb.fn.countAll().as("n")])
      .groupBy("item_id")
      .having((eb) => eb.fn.countAll(), ">", 1)
      .execute();
    expect(perItem).toEqual([]);
    expect(await runTick(t.runtime)).toMatchObject({ remaining: 0 });
  });
});
