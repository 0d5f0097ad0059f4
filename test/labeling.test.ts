import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { analysisTopic } from "../src/analysis/topic.js";
import { TopicRegistry } from "../src/pubsub/registry.js";
import { tick as runTick } from "../src/runners/tick.js";
import { freshApp, type TestApp } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";
import { runbookPublishScript, runInConsole } from "./helpers/runbook.js";

const TAXONOMY = {
  labels: [
    {
      name: "billing/refund",
      description: "Customer wants money back",
      rules: { keywords: ["refund", "money back"], regex: ["charged\\s+twice"], scope: "customer" },
    },
    { name: "shipping", rules: { keywords: ["delivery", "parcel"] } },
    {
      name: "churn-risk",
      applies_to: ["conversation"],
      rules: { all_keywords: ["cancel", "account"], none_keywords: ["don't"] },
    },
  ],
};

describe.each(BACKENDS)("labeling on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend);
    const res = await t.api({ method: "PUT", url: "/api/taxonomy", payload: TAXONOMY });
    expect(res.statusCode, res.body).toBe(200);
  });
  afterEach(() => t.cleanup());

  const tick = async () => (await t.api({ method: "POST", url: "/api/tick/runners" })).json();
  const labelsOf = async (url: string) =>
    ((await t.api({ method: "GET", url })).json().labels as { name: string }[]).map((l) => l.name);
  const putConversation = (id: string, customer: string, agent = "ok") =>
    t.api({
      method: "PUT",
      url: `/api/conversations/${id}`,
      payload: {
        subject: "help",
        messages: [
          { role: "customer", text: customer },
          { role: "agent", text: agent },
        ],
      },
    });

  it("versions the taxonomy and keeps the current one when a new one does not compile", async () => {
    expect((await t.api({ method: "GET", url: "/api/taxonomy" })).json()).toMatchObject({ version: 1 });
    const bad = await t.api({
      method: "PUT",
      url: "/api/taxonomy",
      payload: {
        labels: [{ name: "x", rules: { regex: ["(unclosed"] } }, { name: "x" }, { name: "y", colour: "red" }],
      },
    });
    expect(bad.statusCode).toBe(400);
    const error = bad.json().error;
    expect(error.code).toBe("invalid_taxonomy");
    expect(error.message).toMatch(/'x'/);
    expect(error.details.issues.length).toBeGreaterThanOrEqual(3);
    const current = (await t.api({ method: "GET", url: "/api/taxonomy" })).json();
    expect(current.version).toBe(1);
    expect(current.labels.map((l: { name: string }) => l.name)).toEqual([
      "billing/refund",
      "shipping",
      "churn-risk",
    ]);
    const versions = (await t.api({ method: "GET", url: "/api/taxonomy/versions" })).json().versions;
    expect(versions).toMatchObject([{ version: 1, label_count: 3 }]);
  });

  it("labels a written conversation in the same pass as its write's analysis message", async () => {
    await putConversation("c1", "I was charged twice, I want a refund!", "We will send a parcel");
    expect(await labelsOf("/api/conversations/c1")).toEqual([]);
    expect(await tick()).toMatchObject({ processed: 1, succeeded: 1, remaining: 0 });
    const conversation = (await t.api({ method: "GET", url: "/api/conversations/c1" })).json();
    expect(conversation.labels.map((l: { name: string }) => l.name)).toEqual(["billing/refund", "shipping"]);
    const refund = conversation.labels[0];
    expect(refund).toMatchObject({ source: "rule", confidence: 1, taxonomy_version: 1 });
    const text = conversation.messages[0].text;
    for (const e of refund.evidence) {
      expect(e.field).toBe("message");
      expect(e.message_index).toBe(0);
      expect(text.slice(e.start, e.end).toLowerCase()).toMatch(/refund|charged\s+twice/);
    }
  });

  it("a taxonomy change re-labels nothing until asked; the runbook's publish and tick then do", async () => {
    await putConversation("c2", "where is my parcel?");
    await tick();
    expect(await labelsOf("/api/conversations/c2")).toEqual(["shipping"]);
    await t.api({
      method: "PUT",
      url: "/api/taxonomy",
      payload: { labels: [{ name: "where-is-my-order", rules: { keywords: ["parcel"] } }] },
    });
    expect(await tick()).toMatchObject({ processed: 0 });
    expect(await labelsOf("/api/conversations/c2")).toEqual(["shipping"]);

    const origin = await t.app.listen({ port: 0, host: "127.0.0.1" });
    const auth = { authorization: `Bearer ${"test-token-0123456789abcdef"}` };
    await runInConsole(runbookPublishScript({ conversation_fs_id: "c2" }), origin, auth);
    await runInConsole("fetch('/api/tick/runners', {method: \"POST\"})", origin, auth);
    const labels = (await t.api({ method: "GET", url: "/api/conversations/c2" })).json().labels;
    expect(labels).toMatchObject([{ name: "where-is-my-order", taxonomy_version: 2 }]);
    const runs = await t.database.db.selectFrom("analysis_runs").selectAll().orderBy("id").execute();
    expect(runs.map((r) => [r.taxonomy_version, r.added, r.removed].map(String))).toEqual([
      [
        "1",
        String(backend === "sqlite" ? '["shipping"]' : ["shipping"]),
        String(backend === "sqlite" ? "[]" : []),
      ],
      [
        "2",
        String(backend === "sqlite" ? '["where-is-my-order"]' : ["where-is-my-order"]),
        String(backend === "sqlite" ? '["shipping"]' : ["shipping"]),
      ],
    ]);
  });

  it("never lets an older note version overwrite a newer one's labels", async () => {
    await t.api({
      method: "POST",
      url: "/api/notes/n1/versions",
      payload: { text: "customer asked for a refund" },
    });
    await t.api({
      method: "POST",
      url: "/api/notes/n1/versions",
      payload: { text: "now only the delivery is late" },
    });
    await tick();
    let note = (await t.api({ method: "GET", url: "/api/notes/n1" })).json();
    expect(note).toMatchObject({ latest_version: 2, analyzed_version: 2 });
    expect(note.labels.map((l: { name: string }) => l.name)).toEqual(["shipping"]);

    const republish = await t.api({
      method: "POST",
      url: "/api/internal/pubsub/publish",
      payload: { topic: "conversation_note_analysis", key: { note_id: "n1", note_version: 1 }, data: {} },
    });
    expect(republish.statusCode).toBe(202);
    expect(await tick()).toMatchObject({ processed: 1, succeeded: 1 });
    note = (await t.api({ method: "GET", url: "/api/notes/n1" })).json();
    expect(note.analyzed_version).toBe(2);
    expect(note.labels.map((l: { name: string }) => l.name)).toEqual(["shipping"]);
    const stale = await t.database.db
      .selectFrom("analysis_runs")
      .selectAll()
      .where("note_version", "=", 1)
      .execute();
    expect(stale.map((r) => Number(r.applied))).toEqual([0, 0]);
  });

  it("applies conversation-only labels and scopes as written", async () => {
    await putConversation("c3", "please cancel my account");
    await putConversation("c4", "I don't want to cancel my account");
    await putConversation("c5", "ok", "you can get a refund"); // refund is customer-scoped: the agent saying it does not count
    await t.api({ method: "POST", url: "/api/notes/n2/versions", payload: { text: "cancel account" } });
    await tick();
    expect(await labelsOf("/api/conversations/c3")).toEqual(["churn-risk"]);
    expect(await labelsOf("/api/conversations/c4")).toEqual([]);
    expect(await labelsOf("/api/conversations/c5")).toEqual([]);
    expect(await labelsOf("/api/notes/n2")).toEqual([]);
  });

  it("a crash between analysis and ack leaves no half-written labels, and the retry labels", async () => {
    const real = analysisTopic();
    let crash = true;
    t.runtime.topics = new TopicRegistry([
      {
        ...real,
        backoff: { baseMs: 50, maxMs: 50 },
        async handle(messages, context) {
          const outcome = await real.handle(messages, context);
          return {
            ...outcome,
            async commit(trx, acked, jobs) {
              await outcome.commit(trx, acked, jobs);
              if (crash) throw new Error("simulated crash after the label writes, before commit");
            },
          };
        },
      },
    ]);
    await putConversation("c6", "refund please");
    // The server was built with the real topic; tick the runtime that has the crashing one.
    const first = await runTick(t.runtime);
    expect(first).toMatchObject({ processed: 1, succeeded: 0, failed: 1 });
    expect(await t.database.db.selectFrom("label_assignments").selectAll().execute()).toEqual([]);
    expect(await t.database.db.selectFrom("analysis_runs").selectAll().execute()).toEqual([]);
    crash = false;
    await new Promise((r) => setTimeout(r, 80));
    expect(await runTick(t.runtime)).toMatchObject({ succeeded: 1, remaining: 0 });
    expect(await labelsOf("/api/conversations/c6")).toEqual(["billing/refund"]);
  });

  it("a catastrophic regex cannot stall a runner", async () => {
    await t.api({
      method: "PUT",
      url: "/api/taxonomy",
      payload: { labels: [{ name: "evil", rules: { regex: ["(a+)+$"] } }] },
    });
    await putConversation("c7", `${"a".repeat(50_000)}!`);
    const started = Date.now();
    expect(await tick()).toMatchObject({ succeeded: 1 });
    // A backtracking engine would need about 2^50,000 steps: any bound tells the two apart, so it
    // is generous for a loaded machine. How fast the analysis is, is bench/'s business.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("erases labels and runs with the item", async () => {
    await putConversation("c8", "refund");
    await tick();
    await t.api({ method: "DELETE", url: "/api/conversations/c8" });
    const left = await t.database.db
      .selectFrom("label_assignments")
      .selectAll()
      .where("item_id", "=", "c8")
      .execute();
    expect(left).toEqual([]);
    expect(
      await t.database.db.selectFrom("analysis_runs").selectAll().where("item_id", "=", "c8").execute(),
    ).toEqual([]);
  });
});
