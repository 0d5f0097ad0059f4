import { CompiledQuery, sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jobItemsQuery } from "../src/reanalysis/jobs.js";
import { freshApp, INGEST_TOKEN, type TestApp } from "./helpers/app.js";
import { insertConversations } from "./helpers/bulk.js";
import { BACKENDS } from "./helpers/db.js";

const TAXONOMY = {
  labels: [
    { name: "billing/refund", rules: { keywords: ["refund"] } },
    { name: "shipping", rules: { keywords: ["parcel"] } },
    { name: "vip", applies_to: ["conversation"] },
  ],
};

interface Label {
  name: string;
  source: string;
}
interface Listed {
  labels: Label[];
}

describe.each(BACKENDS)("overview, trend and job items on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend);
    await t.api({ method: "PUT", url: "/api/taxonomy", payload: TAXONOMY });
  });
  afterEach(() => t.cleanup());

  const get = async (url: string, token?: string) => {
    const res = await t.api({
      method: "GET",
      url,
      headers: token ? { authorization: `Bearer ${token}` } : undefined,
    });
    return { status: res.statusCode, body: res.json() };
  };
  const tick = async (query = "") =>
    (await t.api({ method: "POST", url: `/api/tick/runners${query}` })).json();
  const drain = async () => {
    for (let i = 0; i < 1_000; i++) if ((await tick()).remaining === 0) return;
    throw new Error("did not drain");
  };
  const putConversation = (id: string, text: string, updatedAt?: string) =>
    t.api({
      method: "PUT",
      url: `/api/conversations/${encodeURIComponent(id)}`,
      payload: { messages: [{ role: "customer", text }], ...(updatedAt ? { updated_at: updatedAt } : {}) },
    });
  const addNote = (id: string, text: string, createdAt?: string) =>
    t.api({
      method: "POST",
      url: `/api/notes/${encodeURIComponent(id)}/versions`,
      payload: { text, ...(createdAt ? { created_at: createdAt } : {}) },
    });

  describe("overview", () => {
    it("counts what the items and labels routes show (rules and manual labels)", async () => {
      await putConversation("c1", "refund my parcel");
      await putConversation("c2", "refund please");
      await putConversation("c3", "hello");
      await putConversation("c4", "nothing to see");
      await addNote("n1", "the parcel is late");
      await addNote("n2", "a call");
      await addNote("n2", "a call about a refund");
      await drain();
      // By hand: c3 gains vip, c2 loses its only label, c1 gains vip too.
      await t.api({ method: "POST", url: "/api/conversations/c3/labels", payload: { name: "vip" } });
      await t.api({ method: "POST", url: "/api/conversations/c1/labels", payload: { name: "vip" } });
      await t.api({ method: "DELETE", url: "/api/conversations/c2/labels/billing%2Frefund" });

      const conversations: Listed[] = (await get("/api/conversations?limit=1000")).body.items;
      const notes: Listed[] = (await get("/api/notes?limit=1000")).body.items;
      const stats: { name: string; conversations: number; notes: number; manual: number }[] = (
        await get("/api/labels/stats")
      ).body.labels;

      const overview = await get("/api/overview");
      expect(overview.status).toBe(200);
      const { totals, labels } = overview.body;
      const kindTotals = (items: Listed[]) => ({
        items: items.length,
        labeled: items.filter((i) => i.labels.length > 0).length,
        unlabeled: items.filter((i) => i.labels.length === 0).length,
      });
      expect(totals.conversations).toEqual(kindTotals(conversations));
      expect(totals.notes).toEqual(kindTotals(notes));
      expect(totals.all).toEqual(kindTotals([...conversations, ...notes]));
      expect(totals).toEqual({
        conversations: { items: 4, labeled: 2, unlabeled: 2 },
        notes: { items: 2, labeled: 2, unlabeled: 0 },
        all: { items: 6, labeled: 4, unlabeled: 2 },
      });

      // Per label, kind and source, as the items carry them.
      const expected = new Map<string, Record<string, Record<string, number>>>();
      for (const [kind, items] of [
        ["conversations", conversations],
        ["notes", notes],
      ] as const) {
        for (const item of items) {
          for (const label of item.labels) {
            const entry = expected.get(label.name) ?? {
              conversations: { total: 0, rule: 0, model: 0, llm: 0, manual: 0 },
              notes: { total: 0, rule: 0, model: 0, llm: 0, manual: 0 },
            };
            expected.set(label.name, entry);
            const bucket = entry[kind] as Record<string, number>;
            bucket.total = (bucket.total ?? 0) + 1;
            bucket[label.source] = (bucket[label.source] ?? 0) + 1;
          }
        }
      }
      expect(labels).toEqual(
        expect.arrayContaining(
          [...expected].map(([name, e]) => ({
            name,
            items: (e.conversations?.total ?? 0) + (e.notes?.total ?? 0),
            ...e,
            retired: false,
          })),
        ),
      );
      expect(labels).toHaveLength(expected.size);
      // Most items first.
      expect(labels.map((l: { name: string }) => l.name)).toEqual(["billing/refund", "shipping", "vip"]);
      // And as /api/labels/stats says.
      for (const s of stats) {
        const l = labels.find((x: { name: string }) => x.name === s.name);
        expect(l.conversations.total, s.name).toBe(s.conversations);
        expect(l.notes.total, s.name).toBe(s.notes);
        expect(l.conversations.manual + l.notes.manual, s.name).toBe(s.manual);
      }
      expect(labels.find((l: { name: string }) => l.name === "vip").conversations).toEqual({
        total: 2,
        rule: 0,
        model: 0,
        llm: 0,
        manual: 2,
      });

      // The admin route: the same, plus the queue and the jobs.
      const internal = await get("/api/internal/overview");
      expect(internal.status).toBe(200);
      expect(internal.body.totals).toEqual(totals);
      expect(internal.body.labels).toEqual(labels);
      expect(internal.body.jobs).toEqual([]);
    });

    it("is empty on an empty database", async () => {
      const { body } = await get("/api/overview");
      expect(body.totals.all).toEqual({ items: 0, labeled: 0, unlabeled: 0 });
      expect(body.labels).toEqual([]);
      expect(Date.parse(body.generated_at)).toBeGreaterThan(0);
    });

    it("reports the queue as /api/internal/pubsub/topics does", async () => {
      for (let i = 0; i < 7; i++) await putConversation(`q${i}`, "refund");
      await tick("?max_messages=3");
      const topics = (await get("/api/internal/pubsub/topics")).body.topics;
      const { queues } = (await get("/api/internal/overview")).body;
      const withoutAge = (rows: { oldest_pending_age_ms: number | null }[]) =>
        rows.map(({ oldest_pending_age_ms, ...rest }) => ({ ...rest, aged: oldest_pending_age_ms !== null }));
      expect(withoutAge(queues)).toEqual(withoutAge(topics));
      const analysis = queues.find((q: { topic: string }) => q.topic === "conversation_note_analysis");
      expect(analysis).toMatchObject({ pending: 4, running: 0, failed: 0, processed_last_minute: 3 });
      const listed = topics.find((q: { topic: string }) => q.topic === "conversation_note_analysis");
      expect(Math.abs(analysis.oldest_pending_age_ms - listed.oldest_pending_age_ms)).toBeLessThan(5_000);
    });

    it("shows a running job with its progress, and no longer once it is done", async () => {
      await insertConversations(t.database, 30);
      const created = (await t.api({ method: "POST", url: "/api/internal/labels/reanalysis" })).json();
      const progress = async () => (await get(`/api/internal/labels/reanalysis/${created.id}`)).body;
      for (let i = 0; i < 20 && (await progress()).done === 0; i++) await tick("?max_messages=5");
      const job = await progress();
      expect(["fanning_out", "running"]).toContain(job.status);
      expect(job.done).toBeGreaterThan(0);
      expect(job.done).toBeLessThan(30);
      const { jobs } = (await get("/api/internal/overview")).body;
      expect(jobs).toHaveLength(1);
      const { rate_per_second, eta_seconds, ...rest } = job;
      expect(jobs[0]).toMatchObject(rest);
      expect(jobs[0].done).toBeLessThan(jobs[0].total);
      await drain();
      expect((await get("/api/internal/overview")).body.jobs).toEqual([]);
    });

    it("gives an ingest token the totals and labels, and keeps the queue and jobs for admin", async () => {
      await putConversation("c1", "refund");
      const open = await get("/api/overview", INGEST_TOKEN);
      expect(open.status).toBe(200);
      expect(Object.keys(open.body).sort()).toEqual(["generated_at", "labels", "totals"]);
      const internal = await get("/api/internal/overview", INGEST_TOKEN);
      expect(internal.status).toBe(403);
      expect(internal.body.error.code).toBe("insufficient_scope");
      expect((await get("/api/labels/trend?labels=vip", INGEST_TOKEN)).status).toBe(200);
      expect((await get("/api/internal/labels/reanalysis/1/items", INGEST_TOKEN)).status).toBe(403);
    });

    it("refuses unknown query parameters", async () => {
      for (const url of ["/api/overview?top=5", "/api/internal/overview?x=1"]) {
        const res = await get(url);
        expect(res.status, url).toBe(400);
        expect(res.body.error.code, url).toBe("validation_failed");
      }
    });
  });

  describe("trend", () => {
    const DAY_10 = "2026-01-10T00:00:00.000Z";
    beforeEach(async () => {
      // Edges of the day buckets 2026-01-10, 11 and 12 (a Saturday, a Sunday and a Monday), and just outside.
      const conversations: [string, string, string][] = [
        ["before", "refund", "2026-01-09T23:59:59.999Z"],
        ["first", "refund", DAY_10],
        ["last-of-day", "refund parcel", "2026-01-10T23:59:59.999Z"],
        ["next-day", "refund", "2026-01-11T00:00:00.000Z"],
        ["sunday-end", "parcel", "2026-01-11T23:59:59.999Z"],
        ["monday", "refund", "2026-01-12T00:00:00.000Z"],
        ["after", "refund", "2026-01-13T00:00:00.000Z"],
      ];
      for (const [id, text, at] of conversations) await putConversation(id, text, at);
      await addNote("n-first", "a refund", DAY_10);
      await addNote("n-monday", "a parcel", "2026-01-12T12:00:00.000Z");
      await drain();
    });

    it("counts each label's items per UTC day, bucket edges included", async () => {
      const { status, body } = await get(
        "/api/labels/trend?labels=billing/refund,shipping,vip&from=2026-01-10&until=2026-01-12&bucket=day",
      );
      expect(status).toBe(200);
      expect(body).toEqual({
        from: DAY_10,
        until: "2026-01-12T23:59:59.999Z",
        bucket: "day",
        buckets: [DAY_10, "2026-01-11T00:00:00.000Z", "2026-01-12T00:00:00.000Z"],
        series: [
          { label: "billing/refund", counts: [3, 1, 1], total: 5 },
          { label: "shipping", counts: [1, 1, 1], total: 3 },
          { label: "vip", counts: [0, 0, 0], total: 0 },
        ],
      });
    });

    it("filters by type, and buckets by ISO week and by hour", async () => {
      const notes = await get(
        "/api/labels/trend?labels=billing/refund,shipping&from=2026-01-10&until=2026-01-12&type=notes",
      );
      expect(notes.body.series).toEqual([
        { label: "billing/refund", counts: [1, 0, 0], total: 1 },
        { label: "shipping", counts: [0, 0, 1], total: 1 },
      ]);
      const conversations = await get(
        "/api/labels/trend?labels=billing/refund&from=2026-01-10&until=2026-01-12&type=conversations",
      );
      expect(conversations.body.series[0].counts).toEqual([2, 1, 1]);

      // Weeks start on Monday 00:00 UTC: Sunday's last millisecond and Monday's first fall apart.
      const weeks = await get(
        "/api/labels/trend?labels=shipping,billing/refund&from=2026-01-01&until=2026-01-18&bucket=week",
      );
      expect(weeks.body.buckets).toEqual([
        "2025-12-29T00:00:00.000Z",
        "2026-01-05T00:00:00.000Z",
        "2026-01-12T00:00:00.000Z",
      ]);
      expect(weeks.body.series).toEqual([
        { label: "shipping", counts: [0, 2, 1], total: 3 },
        { label: "billing/refund", counts: [0, 5, 2], total: 7 },
      ]);

      const hours = await get(
        "/api/labels/trend?labels=billing/refund&from=2026-01-10T23:00:00Z&until=2026-01-11T00:59:59.999Z&bucket=hour",
      );
      expect(hours.body.buckets).toEqual(["2026-01-10T23:00:00.000Z", "2026-01-11T00:00:00.000Z"]);
      expect(hours.body.series[0].counts).toEqual([1, 1]);
    });

    it("answers an empty range with zeros, and counts only inside [from, until]", async () => {
      const empty = await get("/api/labels/trend?labels=billing/refund&from=2020-03-01&until=2020-03-02");
      expect(empty.status).toBe(200);
      expect(empty.body.series).toEqual([{ label: "billing/refund", counts: [0, 0], total: 0 }]);
      // A range starting mid-day: the first bucket holds only its part inside the range.
      const partial = await get(
        "/api/labels/trend?labels=billing/refund&from=2026-01-10T12:00:00Z&until=2026-01-10T23:59:59.999Z",
      );
      expect(partial.body.buckets).toEqual([DAY_10]);
      expect(partial.body.series[0].counts).toEqual([1]);
    });

    it("refuses too many buckets, bad ranges and unknown parameters with a 400 that says why", async () => {
      const many = await get(
        "/api/labels/trend?labels=billing/refund&from=2026-01-01&until=2026-03-01&bucket=hour",
      );
      expect(many.status).toBe(400);
      expect(many.body.error.code).toBe("validation_failed");
      expect(many.body.error.message).toMatch(/at most 1000/);
      expect(many.body.error.details).toEqual({ buckets: 1440, max_buckets: 1000 });
      // 1,000 buckets exactly are fine.
      const most = await get(
        "/api/labels/trend?labels=billing/refund&from=2026-01-01T00:00:00Z&until=2026-02-11T15:59:59Z&bucket=hour",
      );
      expect(most.status).toBe(200);
      expect(most.body.buckets).toHaveLength(1000);

      for (const query of [
        "from=2026-01-10", // no labels
        "labels=",
        "labels=billing/refund&from=2026-01-12&until=2026-01-10",
        "labels=billing/refund&bucket=month",
        "labels=billing/refund&type=both", // both is what leaving type out means
        "labels=billing/refund&form=2026-01-01",
        "labels=billing/refund&labels=shipping",
        `labels=${Array.from({ length: 51 }, (_, i) => `l${i}`).join(",")}`,
      ]) {
        const res = await get(`/api/labels/trend?${query}`);
        expect(res.status, query).toBe(400);
        expect(["validation_failed", "invalid_timestamp"], query).toContain(res.body.error.code);
      }
      expect((await get("/api/labels/trend?labels=x&from=yesterday")).body.error.code).toBe(
        "invalid_timestamp",
      );
    });
  });

  describe("a job's changed items", () => {
    const start = async (query = "") =>
      (await t.api({ method: "POST", url: `/api/internal/labels/reanalysis${query}` })).json();
    const items = async (id: number, query = "") =>
      get(`/api/internal/labels/reanalysis/${id}/items${query}`);
    type JobItem = { run_id: number; type: string; id: string; added: string[]; removed: string[] };
    const allItems = async (id: number, limit: number) => {
      const found: JobItem[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: JobItem[]; next_cursor: string | null } } = await items(
          id,
          `?limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`,
        );
        expect(page.body.items.length).toBeLessThanOrEqual(limit);
        found.push(...page.body.items);
        cursor = page.body.next_cursor;
      } while (cursor !== null);
      return found;
    };

    it("lists exactly the items whose labels the job changed, with what it added and removed", async () => {
      await putConversation("a", "refund");
      await putConversation("b", "parcel");
      await putConversation("c", "refund for the parcel");
      await putConversation("d", "hello");
      await putConversation("e", "reimburse the refund");
      await addNote("n1", "parcel note");
      await addNote("n2", "plain note");
      await drain(); // live analysis: runs without a job
      await t.api({
        method: "PUT",
        url: "/api/taxonomy",
        payload: {
          labels: [
            { name: "billing/refund", rules: { keywords: ["reimburse"] } },
            { name: "shipping", rules: { keywords: ["parcel", "plain"] } },
            { name: "vip", applies_to: ["conversation"], rules: { keywords: ["hello"] } },
          ],
        },
      });
      // Before the job: b gained shipping by hand, so the job changes nothing on it.
      await t.api({ method: "POST", url: "/api/conversations/b/labels", payload: { name: "shipping" } });
      await putConversation("b", "parcel"); // same content: nothing new to analyze
      await drain();
      const job = await start("?from=2000-01-01");
      await drain();
      const done = (await get(`/api/internal/labels/reanalysis/${job.id}`)).body;
      expect(done).toMatchObject({ status: "done", total: 7 });

      const listed = await allItems(job.id, 2);
      const byId = listed
        .map(({ type, id, added, removed }) => ({ type, id, added, removed }))
        .sort((x, y) => (x.id < y.id ? -1 : 1));
      expect(byId).toEqual([
        { type: "conversation", id: "a", added: [], removed: ["billing/refund"] },
        { type: "conversation", id: "c", added: [], removed: ["billing/refund"] },
        { type: "conversation", id: "d", added: ["vip"], removed: [] },
        { type: "note", id: "n2", added: ["shipping"], removed: [] },
      ]);
      expect(listed.map((i) => i.run_id)).toEqual([...listed.map((i) => i.run_id)].sort((x, y) => x - y));
      expect(done.items_changed).toBe(listed.length);
      // Each matches the item's history.
      const history = (await get("/api/conversations/a/labels/history")).body.items;
      expect(history.find((h: { job_id?: number }) => h.job_id === job.id)).toMatchObject({
        removed: ["billing/refund"],
      });

      // A second run over the same range changes nothing: its list is empty.
      const again = await start("?from=2000-01-01");
      await drain();
      expect((await items(again.id)).body).toEqual({ items: [], next_cursor: null });
    });

    it("reads a page through the partial index of changed runs (migration 0011)", async () => {
      const compiled = jobItemsQuery(t.database.db, 1, 5, 101).compile();
      const plan = await t.database.db.transaction().execute(async (trx) => {
        // PostgreSQL would rather scan a tiny table: make the index its only choice, so the test
        // shows the query's condition matches the index's.
        if (backend === "postgres") await sql`set local enable_seqscan = off`.execute(trx);
        const prefix = backend === "postgres" ? "explain " : "explain query plan ";
        const result = await trx.executeQuery(
          CompiledQuery.raw(prefix + compiled.sql, [...compiled.parameters]),
        );
        return JSON.stringify(result.rows);
      });
      expect(plan).toContain("analysis_runs_job_changed");
    });

    it("answers 404 for an unknown job, and 400 for bad cursors and parameters", async () => {
      const missing = await items(999);
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe("job_not_found");
      const job = await start();
      for (const query of ["?cursor=abc", "?limit=0", "?limit=1001", "?after=3"]) {
        expect((await items(job.id, query)).status, query).toBe(400);
      }
      expect((await items(job.id)).body).toEqual({ items: [], next_cursor: null });
    });
  });

  it("documents the routes in the OpenAPI document, with response schemas", async () => {
    const { paths } = (await get("/openapi.json")).body;
    for (const path of [
      "/api/overview",
      "/api/internal/overview",
      "/api/labels/trend",
      "/api/internal/labels/reanalysis/{id}/items",
    ]) {
      expect(paths[path]?.get?.responses?.["200"]?.content, path).toBeDefined();
    }
  });
});
