import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freshApp, type TestApp } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";

const TAXONOMY = {
  labels: [
    { name: "billing/refund", rules: { keywords: ["refund"] } },
    { name: "shipping", rules: { keywords: ["parcel"] } },
    { name: "vip", applies_to: ["conversation"] },
  ],
};

describe.each(BACKENDS)("manual labels, history and queries on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend);
    await t.api({ method: "PUT", url: "/api/taxonomy", payload: TAXONOMY });
  });
  afterEach(() => t.cleanup());

  const tick = async () => (await t.api({ method: "POST", url: "/api/tick/runners" })).json();
  const names = async (url: string) =>
    ((await t.api({ method: "GET", url })).json().labels as { name: string; source: string }[]).map(
      (l) => `${l.name}:${l.source}`,
    );
  const republish = (key: object) =>
    t.api({
      method: "POST",
      url: "/api/internal/pubsub/publish",
      payload: { topic: "conversation_note_analysis", key, data: {} },
    });

  it("keeps a manual add and a manual removal through re-analysis, until handed back", async () => {
    await t.api({
      method: "PUT",
      url: "/api/conversations/c1",
      payload: { messages: [{ role: "customer", text: "refund my parcel" }] },
    });
    await tick();
    expect(await names("/api/conversations/c1")).toEqual(["billing/refund:rule", "shipping:rule"]);

    const added = await t.api({
      method: "POST",
      url: "/api/conversations/c1/labels",
      payload: { name: "vip" },
    });
    expect(added.statusCode).toBe(200);
    const removed = await t.api({ method: "DELETE", url: "/api/conversations/c1/labels/billing%2Frefund" });
    expect(removed.json().labels.map((l: { name: string }) => l.name)).toEqual(["shipping", "vip"]);

    await republish({ conversation_fs_id: "c1" });
    await tick();
    expect(await names("/api/conversations/c1")).toEqual(["shipping:rule", "vip:manual"]);

    const handedBack = await t.api({
      method: "DELETE",
      url: "/api/conversations/c1/labels/billing%2Frefund/override",
    });
    expect(handedBack.statusCode).toBe(200);
    await tick(); // the hand-back asked for a re-analysis
    expect(await names("/api/conversations/c1")).toEqual([
      "billing/refund:rule",
      "shipping:rule",
      "vip:manual",
    ]);
    await t.api({ method: "DELETE", url: "/api/conversations/c1/labels/vip/override" });
    expect(await names("/api/conversations/c1")).toEqual(["billing/refund:rule", "shipping:rule"]);

    // Each manual decision in the history names its label, a hand-back too (it adds and removes nothing).
    const history = (await t.api({ method: "GET", url: "/api/conversations/c1/labels/history" })).json()
      .items;
    expect(
      history
        .filter((h: { kind: string }) => h.kind === "manual")
        .map((h: { action: string; label: string }) => `${h.action}:${h.label}`),
    ).toEqual(["override:vip", "override:billing/refund", "remove:billing/refund", "add:vip"]);

    const nothing = await t.api({ method: "DELETE", url: "/api/conversations/c1/labels/vip/override" });
    expect(nothing.statusCode).toBe(404);
    expect(nothing.json().error.code).toBe("no_manual_decision");
  });

  it("carries a note's manual labels over to new versions", async () => {
    await t.api({ method: "POST", url: "/api/notes/n1/versions", payload: { text: "refund asked" } });
    await tick();
    await t.api({ method: "POST", url: "/api/notes/n1/labels", payload: { name: "shipping" } });
    await t.api({ method: "DELETE", url: "/api/notes/n1/labels/billing%2Frefund" });
    await t.api({ method: "POST", url: "/api/notes/n1/versions", payload: { text: "refund still wanted" } });
    await tick();
    expect(await names("/api/notes/n1")).toEqual(["shipping:manual"]);
    expect((await t.api({ method: "GET", url: "/api/notes/n1" })).json().analyzed_version).toBe(2);
  });

  it("refuses unknown labels, labels of the other kind, and unknown items", async () => {
    await t.api({ method: "PUT", url: "/api/conversations/c2", payload: {} });
    await t.api({ method: "POST", url: "/api/notes/n2/versions", payload: { text: "x" } });
    const unknown = await t.api({
      method: "POST",
      url: "/api/conversations/c2/labels",
      payload: { name: "nope" },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.code).toBe("unknown_label");
    const wrongKind = await t.api({ method: "POST", url: "/api/notes/n2/labels", payload: { name: "vip" } });
    expect(wrongKind.json().error.code).toBe("unknown_label");
    const noItem = await t.api({
      method: "POST",
      url: "/api/conversations/zz/labels",
      payload: { name: "vip" },
    });
    expect(noItem.statusCode).toBe(404);
    const removeUnknown = await t.api({ method: "DELETE", url: "/api/conversations/c2/labels/nope" });
    expect(removeUnknown.statusCode).toBe(400);
    expect(await t.database.db.selectFrom("manual_label_decisions").selectAll().execute()).toEqual([]);
  });

  it("history shows exactly what a taxonomy change and re-publish changed, and manual decisions", async () => {
    await t.api({
      method: "PUT",
      url: "/api/conversations/h1",
      payload: { messages: [{ role: "customer", text: "refund" }] },
    });
    await tick();
    await t.api({
      method: "PUT",
      url: "/api/taxonomy",
      payload: { labels: [{ name: "money", rules: { keywords: ["refund"] } }, { name: "vip" }] },
    });
    await republish({ conversation_fs_id: "h1" });
    await tick();
    await t.api({ method: "POST", url: "/api/conversations/h1/labels", payload: { name: "vip" } });
    const history = (await t.api({ method: "GET", url: "/api/conversations/h1/labels/history" })).json()
      .items;
    expect(
      history.map((h: { kind: string; added: string[]; removed: string[] }) => [h.kind, h.added, h.removed]),
    ).toEqual([
      ["manual", ["vip"], []],
      ["analysis", ["money"], ["billing/refund"]],
      ["analysis", ["billing/refund"], []],
    ]);
    expect(history[1]).toMatchObject({ taxonomy_version: 2, applied: true, job_id: null });
  });

  it("history names the reanalysis job behind a run", async () => {
    await t.api({
      method: "PUT",
      url: "/api/conversations/j1",
      payload: { messages: [{ role: "customer", text: "refund" }] },
    });
    await tick();
    const job = (await t.api({ method: "POST", url: "/api/internal/labels/reanalysis" })).json();
    await tick();
    await tick();
    const history = (await t.api({ method: "GET", url: "/api/conversations/j1/labels/history" })).json()
      .items;
    expect(history[0]).toMatchObject({ kind: "analysis", job_id: job.id, added: [], removed: [] });
  });

  it("finds items by label, paginated and filtered, and counts labels", async () => {
    for (let i = 0; i < 5; i++) {
      await t.api({
        method: "PUT",
        url: `/api/conversations/q${i}`,
        payload: {
          messages: [{ role: "customer", text: "refund" }],
          updated_at: `2026-01-0${i + 1}T00:00:00Z`,
        },
      });
    }
    await t.api({
      method: "POST",
      url: "/api/notes/qn/versions",
      payload: { text: "refund", created_at: "2026-01-09T00:00:00Z" },
    });
    await tick();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/labels/billing%2Frefund/items?limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page = (await t.api({ method: "GET", url })).json();
      seen.push(...page.items.map((i: { type: string; id: string }) => `${i.type}:${i.id}`));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([
      "conversation:q0",
      "conversation:q1",
      "conversation:q2",
      "conversation:q3",
      "conversation:q4",
      "note:qn",
    ]);
    const filtered = (
      await t.api({
        method: "GET",
        url: "/api/labels/billing%2Frefund/items?type=conversations&updated_from=2026-01-02&updated_until=2026-01-03",
      })
    ).json();
    expect(filtered.items.map((i: { id: string }) => i.id)).toEqual(["q1", "q2"]);
    const stats = (await t.api({ method: "GET", url: "/api/labels/stats" })).json();
    expect(stats.labels).toEqual([
      { name: "billing/refund", conversations: 5, notes: 1, manual: 0, retired: false },
    ]);
  });
});
