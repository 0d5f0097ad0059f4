import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshApp, TEST_TOKEN, type TestApp } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";
import { runbookPublishScript, runbookTickLoop, runInConsole } from "./helpers/runbook.js";
import { testTopics } from "./helpers/test-topic.js";

const TOPIC = "conversation_note_analysis";

describe.each(BACKENDS)("pub/sub over HTTP on %s", (backend) => {
  let t: TestApp;
  let origin: string;
  const auth = { authorization: `Bearer ${TEST_TOKEN}` };

  beforeAll(async () => {
    t = await freshApp(backend, { topics: testTopics() });
    origin = await t.app.listen({ port: 0, host: "127.0.0.1" });
    await t.api({ method: "PUT", url: "/api/conversations/conv-1", payload: { subject: "s" } });
    for (const text of ["v1", "v2", "v3"]) {
      await t.api({ method: "POST", url: "/api/notes/note-1/versions", payload: { text } });
    }
    // Writes enqueue their own analysis; let it run so the tests below start from an empty queue.
    expect((await t.api({ method: "POST", url: "/api/tick/runners" })).json()).toMatchObject({
      processed: 4,
      remaining: 0,
    });
  });
  afterAll(() => t.cleanup());

  const publishText = (body: string) =>
    t.api({
      method: "POST",
      url: "/api/internal/pubsub/publish",
      payload: body,
      headers: { "content-type": "text/plain;charset=UTF-8" },
    });
  const messageCount = async () =>
    Number(
      (
        await t.database.db
          .selectFrom("messages")
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it("takes the runbook's publish request verbatim (text/plain JSON) and its tick processes it", async () => {
    const [answer] = await runInConsole(runbookPublishScript({ conversation_fs_id: "conv-1" }), origin, auth);
    expect(answer?.startsWith("202 ")).toBe(true);
    const published = JSON.parse(answer?.slice(4) ?? "{}");
    expect(published).toMatchObject({
      topic: TOPIC,
      key: { conversation_fs_id: "conv-1" },
      deduplicated: false,
    });
    expect(typeof published.id).toBe("number");

    const tick = await runInConsole("fetch('/api/tick/runners', {method: \"POST\"})", origin, auth);
    const report = JSON.parse(tick[0]?.slice(4) ?? "{}");
    expect(report).toMatchObject({
      processed: 1,
      succeeded: 1,
      failed: 0,
      remaining: 0,
      next_due_in_ms: null,
    });
    const runs = await t.database.db
      .selectFrom("analysis_runs")
      .selectAll()
      .where("message_id", "=", published.id)
      .execute();
    expect(runs).toMatchObject([{ item_type: "conversation", item_id: "conv-1", note_version: null }]);
  });

  it("normalizes note keys: a string version, and an omitted one meaning the latest", async () => {
    const explicit = await runInConsole(
      runbookPublishScript({ note_id: "note-1", note_version: "2" }),
      origin,
      auth,
    );
    expect(JSON.parse(explicit[0]?.slice(4) ?? "{}").key).toEqual({ note_id: "note-1", note_version: 2 });
    const latest = await publishText(JSON.stringify({ topic: TOPIC, key: { note_id: "note-1" }, data: {} }));
    expect(latest.json()).toMatchObject({ key: { note_id: "note-1", note_version: 3 }, deduplicated: false });
    const numeric = await t.api({
      method: "POST",
      url: "/api/internal/pubsub/publish",
      payload: {
        topic: TOPIC,
        key: { note_id: "note-1", note_version: 3, conversation_fs_id: "" },
        data: {},
      },
    });
    // Same normalized key, still pending: the same message comes back.
    expect(numeric.json()).toEqual({ ...latest.json(), deduplicated: true });
    await t.api({ method: "POST", url: "/api/tick/runners" });
  });

  it("runs the runbook's tick loop verbatim until the work is done", async () => {
    for (let i = 0; i < 5; i++) {
      await t.api({ method: "PUT", url: `/api/conversations/loop-${i}`, payload: {} });
      const again = await publishText(
        JSON.stringify({ topic: TOPIC, key: { conversation_fs_id: `loop-${i}` }, data: {} }),
      );
      // The write already enqueued this item's analysis; the publish finds it pending.
      expect(again.json().deduplicated).toBe(true);
    }
    const lines = await runInConsole(runbookTickLoop(3), origin, auth);
    expect(lines).toContain("✅ Call 1 succeeded (200)");
    expect(lines).toContain("Successful: 3");
    expect(lines).toContain("Failed: 0");
    const tick = await t.api({ method: "POST", url: "/api/tick/runners" });
    expect(tick.json()).toMatchObject({ processed: 0, remaining: 0 });
    const runs = await t.database.db
      .selectFrom("analysis_runs")
      .select("item_id")
      .where("item_id", "like", "loop-%")
      .execute();
    expect(runs).toHaveLength(5);
  });

  it.each([
    ["missing topic", { key: { conversation_fs_id: "conv-1" }, data: {} }, 400, "validation_failed"],
    ["unknown topic", { topic: "nope", key: {}, data: {} }, 400, "unknown_topic"],
    ["key not an object", { topic: TOPIC, key: "conv-1", data: {} }, 400, "invalid_key"],
    ["key an array", { topic: TOPIC, key: ["conv-1"], data: {} }, 400, "invalid_key"],
    [
      "both alternatives",
      { topic: TOPIC, key: { conversation_fs_id: "conv-1", note_id: "note-1" }, data: {} },
      400,
      "invalid_key",
    ],
    [
      "neither alternative",
      { topic: TOPIC, key: { conversation_fs_id: "", note_id: "", note_version: "" }, data: {} },
      400,
      "invalid_key",
    ],
    ["version without note", { topic: TOPIC, key: { note_version: "1" }, data: {} }, 400, "invalid_key"],
    [
      "malformed version",
      { topic: TOPIC, key: { note_id: "note-1", note_version: "1.5" }, data: {} },
      400,
      "invalid_key",
    ],
    [
      "zero version",
      { topic: TOPIC, key: { note_id: "note-1", note_version: 0 }, data: {} },
      400,
      "invalid_key",
    ],
    ["unknown key field", { topic: TOPIC, key: { conversation_id: "conv-1" }, data: {} }, 400, "invalid_key"],
    [
      "unknown conversation",
      { topic: TOPIC, key: { conversation_fs_id: "nope" }, data: {} },
      404,
      "conversation_not_found",
    ],
    ["unknown note", { topic: TOPIC, key: { note_id: "nope" }, data: {} }, 404, "note_not_found"],
    [
      "unknown version",
      { topic: TOPIC, key: { note_id: "note-1", note_version: "9" }, data: {} },
      404,
      "note_version_not_found",
    ],
    [
      "data not an object",
      { topic: TOPIC, key: { conversation_fs_id: "conv-1" }, data: [1] },
      400,
      "validation_failed",
    ],
    [
      "data a string",
      { topic: TOPIC, key: { conversation_fs_id: "conv-1" }, data: "x" },
      400,
      "validation_failed",
    ],
    [
      "unknown body field",
      { topic: TOPIC, key: { conversation_fs_id: "conv-1" }, data: {}, extra: 1 },
      400,
      "validation_failed",
    ],
  ])("refuses %s, writing nothing", async (_name, body, status, code) => {
    const before = await messageCount();
    const res = await publishText(JSON.stringify(body));
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().error.code).toBe(code);
    expect(res.json().error.message.length).toBeGreaterThan(10);
    expect(await messageCount()).toBe(before);
  });

  it("lists the known topics when the topic is unknown", async () => {
    const res = await publishText(JSON.stringify({ topic: "nope", key: {}, data: {} }));
    expect(res.json().error.details.known_topics).toEqual([TOPIC, "test_echo"]);
  });

  it("refuses malformed JSON and oversize bodies on the runbook routes", async () => {
    expect((await publishText("{topic:")).json().error.code).toBe("invalid_json");
    const big = JSON.stringify({
      topic: TOPIC,
      key: { conversation_fs_id: "conv-1" },
      data: { x: "y".repeat(1_100_000) },
    });
    const res = await publishText(big);
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe("body_too_large");
  });

  it("other routes still refuse text/plain bodies", async () => {
    const res = await t.api({
      method: "PUT",
      url: "/api/conversations/plain",
      payload: "{}",
      headers: { "content-type": "text/plain" },
    });
    expect(res.statusCode).toBe(415);
  });

  it("validates tick bounds", async () => {
    for (const q of ["max_messages=0", "max_messages=10001", "max_ms=abc", "max_ms=25001", "maxMessages=5"]) {
      const res = await t.api({ method: "POST", url: `/api/tick/runners?${q}` });
      expect(res.statusCode, q).toBe(400);
    }
    expect(
      (await t.api({ method: "POST", url: "/api/tick/runners?max_messages=5&max_ms=100" })).statusCode,
    ).toBe(200);
  });

  it("shows topics, dead letters, and redrives them", async () => {
    const published = await publishText(
      JSON.stringify({ topic: "test_echo", key: { id: "dl" }, data: { reject: true } }),
    );
    const id = published.json().id;
    for (let i = 0; i < 10; i++) {
      await t.api({ method: "POST", url: "/api/tick/runners" });
      await new Promise((r) => setTimeout(r, 50));
    }
    const topics = (await t.api({ method: "GET", url: "/api/internal/pubsub/topics" })).json();
    expect(topics.topics.find((x: { topic: string }) => x.topic === "test_echo")).toMatchObject({
      pending: 0,
      running: 0,
      failed: 1,
      oldest_pending_age_ms: null,
    });
    expect(
      topics.topics.find((x: { topic: string }) => x.topic === TOPIC).processed_last_minute,
    ).toBeGreaterThan(0);

    const dead = (
      await t.api({ method: "GET", url: "/api/internal/pubsub/dead-letters?topic=test_echo" })
    ).json();
    expect(dead.items).toMatchObject([
      { id, topic: "test_echo", key: { id: "dl" }, attempts: 3, last_error: "rejected by handler" },
    ]);
    const redriven = await t.api({
      method: "POST",
      url: "/api/internal/pubsub/dead-letters/redrive",
      payload: { ids: [id] },
    });
    expect(redriven.json()).toEqual({ redriven: 1, folded: 0 });
    const after = (await t.api({ method: "GET", url: "/api/internal/pubsub/dead-letters" })).json();
    expect(after.items).toEqual([]);
    // Redriven, it fails again until it is dead again; leave the queue empty for other tests.
    await t.database.db.deleteFrom("messages").where("id", "=", id).execute();
  });
});
