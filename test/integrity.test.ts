import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type PausePoints, pausePoints } from "../src/runners/pause-points.js";
import { freshApp, type TestApp } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";

/**
 * Races forced, not hoped for: a batch is held at a pause point (between its
 * analysis and its ack, or inside the ack between reading and writing labels)
 * while a person's request commits, then let go. Whatever the order the
 * database lets them run in, the outcome must be the one the README promises.
 */

const TAXONOMY = {
  labels: [
    { name: "billing/refund", rules: { keywords: ["refund"] } },
    { name: "shipping", rules: { keywords: ["parcel"] } },
    { name: "vip", applies_to: ["conversation", "note"] },
  ],
};

/** A pause point the test opens: `arrived` once the batch waits in it. */
function hold(point: keyof PausePoints) {
  let open!: () => void;
  let arrive!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const arrived = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  pausePoints[point] = async () => {
    pausePoints[point] = undefined; // once: the other half of a split batch is not held
    arrive();
    await opened;
  };
  return { arrived, open };
}

/**
 * Runs `request` while the batch is held, gives it time to commit or to
 * block on the batch's locks (either is a legal schedule), then lets the batch go.
 */
async function whileHeld<T>(held: ReturnType<typeof hold>, request: () => Promise<T>): Promise<T> {
  await held.arrived;
  const pending = request();
  await Promise.race([pending, sleep(1_000)]);
  held.open();
  return pending;
}

describe.each(BACKENDS)("integrity under concurrency on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend);
    await t.api({ method: "PUT", url: "/api/taxonomy", payload: TAXONOMY });
  });
  afterEach(async () => {
    pausePoints.beforeAck = undefined;
    pausePoints.beforeLabelWrite = undefined;
    await t.cleanup();
  });

  const tick = async () => (await t.api({ method: "POST", url: "/api/tick/runners" })).json();
  const put = (id: string, text: string) =>
    t.api({
      method: "PUT",
      url: `/api/conversations/${id}`,
      payload: { messages: [{ role: "customer", text }] },
    });
  const labelsOf = async (url: string) =>
    ((await t.api({ method: "GET", url })).json().labels as { name: string }[]).map((l) => l.name);
  /** Every row anywhere that still names the item. */
  const traces = async (itemType: "conversation" | "note", id: string) => {
    const db = t.database.db;
    const count = async (
      table: "label_assignments" | "analysis_runs" | "manual_label_decisions" | "manual_label_events",
    ) =>
      (
        await db
          .selectFrom(table)
          .select("item_id")
          .where("item_type", "=", itemType)
          .where("item_id", "=", id)
          .execute()
      ).length;
    return {
      labels: await count("label_assignments"),
      runs: await count("analysis_runs"),
      decisions: await count("manual_label_decisions"),
      events: await count("manual_label_events"),
    };
  };
  const nothing = { labels: 0, runs: 0, decisions: 0, events: 0 };

  for (const point of ["beforeAck", "beforeLabelWrite"] as const) {
    it(`a conversation deleted while its analysis is held (${point}) keeps nothing, and its id starts afresh`, async () => {
      await put("c1", "I want a refund");
      await tick();
      await t.api({ method: "POST", url: "/api/conversations/c1/labels", payload: { name: "vip" } });
      await put("c1", "I want a refund, please"); // asks for a new analysis

      const held = hold(point);
      const ticking = tick();
      const deleted = await whileHeld(held, () => t.api({ method: "DELETE", url: "/api/conversations/c1" }));
      await ticking;
      expect(deleted.statusCode).toBe(204);

      expect(await traces("conversation", "c1")).toEqual(nothing);
      const stats = (await t.api({ method: "GET", url: "/api/labels/stats" })).json();
      expect(JSON.stringify(stats)).not.toMatch(/"conversations":[1-9]/);
      const items = (await t.api({ method: "GET", url: "/api/labels/billing%2Frefund/items" })).json();
      expect(items.items).toEqual([]);

      await put("c1", "hello there");
      await tick();
      expect(await labelsOf("/api/conversations/c1")).toEqual([]);
      const history = (await t.api({ method: "GET", url: "/api/conversations/c1/labels/history" })).json();
      expect(history.items ?? history).toHaveLength(1);
      expect(JSON.stringify(history)).not.toContain("refund");
    });
  }

  it("a note deleted while its analysis is held keeps nothing, and its id starts afresh", async () => {
    await t.api({
      method: "POST",
      url: "/api/notes/n1/versions",
      payload: { text: "customer wants a refund" },
    });
    const held = hold("beforeAck");
    const ticking = tick();
    const deleted = await whileHeld(held, () => t.api({ method: "DELETE", url: "/api/notes/n1" }));
    await ticking;
    expect(deleted.statusCode).toBe(204);
    expect(await traces("note", "n1")).toEqual(nothing);

    await t.api({ method: "POST", url: "/api/notes/n1/versions", payload: { text: "all good" } });
    await tick();
    expect(await labelsOf("/api/notes/n1")).toEqual([]);
    expect((await traces("note", "n1")).runs).toBe(1);
  });

  it("a conversation changed while its analysis is held never shows the old content's labels", async () => {
    await put("c1", "I want a refund");
    const held = hold("beforeAck");
    const ticking = tick();
    await whileHeld(held, () => put("c1", "where is my parcel"));
    await ticking;
    await tick();
    expect(await labelsOf("/api/conversations/c1")).toEqual(["shipping"]);
    // The held analysis (of the old text) wrote nothing: no run ever added the old text's label.
    const history = (await t.api({ method: "GET", url: "/api/conversations/c1/labels/history" })).json();
    expect(JSON.stringify(history)).not.toContain("billing/refund");
  });

  it("an analysis made with an older taxonomy never overwrites a newer analysis of the same item", async () => {
    await put("c1", "I want a refund");
    const held = hold("beforeAck");
    const older = tick(); // analyzes with taxonomy 1, then waits before its ack
    await held.arrived;
    const renamed = {
      labels: [{ name: "refunds/new", rules: { keywords: ["refund"] } }, ...TAXONOMY.labels.slice(1)],
    };
    await t.api({ method: "PUT", url: "/api/taxonomy", payload: renamed });
    await t.api({
      method: "POST",
      url: "/api/internal/pubsub/publish",
      payload: { topic: "conversation_note_analysis", key: { conversation_fs_id: "c1" }, data: {} },
    });
    await tick(); // a newer analysis, with taxonomy 2, commits first
    expect(await labelsOf("/api/conversations/c1")).toEqual(["refunds/new"]);
    held.open();
    await older;
    await tick();
    expect(await labelsOf("/api/conversations/c1")).toEqual(["refunds/new"]);
  });

  it("a label a person removes while a re-label is held stays removed (both schedules)", async () => {
    await put("c1", "I want a refund for the parcel");
    await tick();
    expect(await labelsOf("/api/conversations/c1")).toEqual(["billing/refund", "shipping"]);
    await t.api({
      method: "POST",
      url: "/api/internal/pubsub/publish",
      payload: { topic: "conversation_note_analysis", key: { conversation_fs_id: "c1" }, data: {} },
    });

    const held = hold("beforeLabelWrite");
    const ticking = tick();
    const removed = await whileHeld(held, () =>
      t.api({ method: "DELETE", url: "/api/conversations/c1/labels/billing%2Frefund" }),
    );
    await ticking;
    expect(removed.statusCode).toBe(200);
    expect(await labelsOf("/api/conversations/c1")).toEqual(["shipping"]);

    // And the next re-label respects the decision too.
    await t.api({
      method: "POST",
      url: "/api/internal/pubsub/publish",
      payload: { topic: "conversation_note_analysis", key: { conversation_fs_id: "c1" }, data: {} },
    });
    await tick();
    expect(await labelsOf("/api/conversations/c1")).toEqual(["shipping"]);
  });

  it("concurrent PUTs of one new conversation, and PUTs racing DELETEs, never answer 5xx nor lose a write", async () => {
    const puts = await Promise.all(Array.from({ length: 40 }, (_, i) => put("race", `text ${i}`)));
    expect(puts.map((r) => r.statusCode).filter((s) => s !== 200 && s !== 201)).toEqual([]);
    expect((await t.api({ method: "GET", url: "/api/conversations/race" })).statusCode).toBe(200);

    const mixed = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? put("mixed", `text ${i}`)
          : t.api({ method: "DELETE", url: "/api/conversations/mixed" }),
      ),
    );
    expect(mixed.map((r) => r.statusCode).filter((s) => ![200, 201, 204, 404].includes(s))).toEqual([]);
    // Whatever the last write was, the item and its analysis agree once the runners are done.
    await tick();
    const final = await t.api({ method: "GET", url: "/api/conversations/mixed" });
    if (final.statusCode === 200) expect((await traces("conversation", "mixed")).runs).toBeGreaterThan(0);
    else expect(await traces("conversation", "mixed")).toEqual(nothing);
  });
});
