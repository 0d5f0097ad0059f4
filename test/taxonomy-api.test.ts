import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AnalysisSetupCache } from "../src/analysis/setup.js";
import { analysisThreads } from "../src/analysis/threads.js";
import { trainModel } from "../src/models/training.js";
import { previewTaxonomy } from "../src/taxonomy/preview.js";
import { freshApp, INGEST_TOKEN, type TestApp } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";

const V1 = {
  labels: [
    { name: "billing/refund", description: "Refunds", rules: { keywords: ["refund"] } },
    { name: "shipping", applies_to: ["conversation"], rules: { keywords: ["parcel"] } },
    { name: "spam", rules: { regex: ["win\\s+money"] } },
  ],
};
const V2 = {
  labels: [
    {
      name: "billing/refund",
      description: "Money back",
      rules: { keywords: ["refund", "money back"], scope: "customer" },
    },
    {
      name: "shipping",
      applies_to: ["note", "conversation"],
      rules: { keywords: ["parcel"] },
      examples: ["where is my parcel"],
    },
    { name: "urgent", rules: { keywords: ["asap"] } },
  ],
};
/** Each problem beside its label: a bad regex, a bad name, an unknown field. */
const BAD = {
  labels: [
    { name: "ok", rules: { regex: ["(unclosed"] } },
    { name: "Bad Name" },
    { name: "extra", rules: { keyword: ["typo"] } },
  ],
};

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

describe.each(BACKENDS)("taxonomy API on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend);
  });
  afterEach(() => t.cleanup());

  const call = async (method: "GET" | "PUT" | "POST" | "DELETE", url: string, payload?: unknown) => {
    const res = await t.api({
      method,
      url,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.json() };
  };
  const drain = async () => {
    for (let i = 0; i < 1_000; i++)
      if ((await call("POST", "/api/tick/runners")).body.remaining === 0) return;
    throw new Error("did not drain");
  };
  const putConversation = (id: string, text: string, updatedAt: string, subject = "") =>
    call("PUT", `/api/conversations/${id}`, {
      subject,
      messages: [{ role: "customer", text }],
      updated_at: updatedAt,
    });
  const addNote = (id: string, text: string, createdAt: string) =>
    call("POST", `/api/notes/${id}/versions`, { text, created_at: createdAt });

  describe("versions and diff", () => {
    beforeEach(async () => {
      expect((await call("PUT", "/api/taxonomy", V1)).status).toBe(200);
      expect((await call("PUT", "/api/taxonomy", V2)).status).toBe(200);
    });

    it("GET /api/taxonomy/versions/:version answers a stored version as GET /api/taxonomy does", async () => {
      const current = await call("GET", "/api/taxonomy");
      expect(await call("GET", "/api/taxonomy/versions/2")).toEqual(current);
      const first = await call("GET", "/api/taxonomy/versions/1");
      expect(first.status).toBe(200);
      expect(first.body.version).toBe(1);
      expect(first.body.labels.map((l: { name: string }) => l.name)).toEqual([
        "billing/refund",
        "shipping",
        "spam",
      ]);
      expect(await call("GET", "/api/taxonomy/versions/0")).toEqual({
        status: 200,
        body: { version: 0, created_at: null, labels: [] },
      });
    });

    it("an unknown version is a 404 that says where the versions are; a bad one a 400", async () => {
      const missing = await call("GET", "/api/taxonomy/versions/3");
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe("taxonomy_version_not_found");
      expect(missing.body.error.message).toMatch(/GET \/api\/taxonomy\/versions/);
      for (const bad of ["-1", "1.5", "one", "1e3"]) {
        const res = await call("GET", `/api/taxonomy/versions/${bad}`);
        expect(res.status, bad).toBe(400);
        expect(res.body.error.code).toBe("validation_failed");
      }
      expect((await call("GET", "/api/taxonomy/versions/1?x=1")).body.error.code).toBe("validation_failed");
    });

    it("diffs two versions label by label and field by field", async () => {
      const { status, body } = await call("GET", "/api/taxonomy/diff?from=1&to=2");
      expect(status).toBe(200);
      expect(body.from).toEqual({ version: 1, created_at: expect.any(String) });
      expect(body.to).toEqual({ version: 2, created_at: expect.any(String) });
      expect(body.added).toEqual([
        {
          name: "urgent",
          applies_to: ["conversation", "note"],
          detect: ["rules"],
          rules: { keywords: ["asap"], all_keywords: [], none_keywords: [], regex: [], scope: "any" },
        },
      ]);
      expect(body.removed).toEqual([
        {
          name: "spam",
          applies_to: ["conversation", "note"],
          detect: ["rules"],
          rules: { keywords: [], all_keywords: [], none_keywords: [], regex: ["win\\s+money"], scope: "any" },
        },
      ]);
      expect(body.changed).toEqual([
        {
          name: "billing/refund",
          changes: [
            { field: "description", before: "Refunds", after: "Money back" },
            {
              field: "rules.keywords",
              before: ["refund"],
              after: ["refund", "money back"],
              added: ["money back"],
              removed: [],
            },
            { field: "rules.scope", before: "any", after: "customer" },
          ],
        },
        {
          name: "shipping",
          changes: [
            {
              field: "applies_to",
              before: ["conversation"],
              after: ["conversation", "note"],
              added: ["note"],
              removed: [],
            },
            {
              field: "examples",
              before: null,
              after: ["where is my parcel"],
              added: ["where is my parcel"],
              removed: [],
            },
          ],
        },
      ]);
      expect(body.unchanged).toBe(0);
      // `to` defaults to the current version; the reverse diff swaps added and removed.
      expect((await call("GET", "/api/taxonomy/diff?from=1")).body).toEqual(body);
      const reverse = (await call("GET", "/api/taxonomy/diff?from=2&to=1")).body;
      expect(reverse.added).toEqual(body.removed);
      expect(reverse.removed).toEqual(body.added);
    });

    it("reports every kind of field and ignores reordered lists", async () => {
      const base = {
        name: "a",
        description: "x",
        applies_to: ["conversation", "note"],
        detect: ["rules"],
        rules: { keywords: ["k1", "k2"], all_keywords: ["a"], none_keywords: [], regex: ["r"], scope: "any" },
        examples: ["e1"],
      };
      const changed = {
        ...base,
        applies_to: ["note"],
        detect: ["rules", "model"],
        threshold: 0.7,
        rules: {
          keywords: ["k2", "k1"],
          all_keywords: [],
          none_keywords: ["n"],
          regex: ["s"],
          scope: "agent",
        },
        examples: ["e1", "e2"],
      };
      await call("PUT", "/api/taxonomy", { labels: [base] });
      await call("PUT", "/api/taxonomy", { labels: [changed] });
      const { body } = await call("GET", "/api/taxonomy/diff?from=3&to=4");
      expect(body.changed[0].changes.map((c: { field: string }) => c.field)).toEqual([
        "applies_to",
        "detect",
        "threshold",
        "rules.all_keywords",
        "rules.none_keywords",
        "rules.regex",
        "rules.scope",
        "examples",
      ]);
      expect(body.changed[0].changes[2]).toEqual({ field: "threshold", before: null, after: 0.7 });
      const same = (await call("GET", "/api/taxonomy/diff?from=3&to=3")).body;
      expect(same).toMatchObject({ added: [], removed: [], changed: [], unchanged: 1 });
      // From the empty taxonomy, every label is added.
      expect((await call("GET", "/api/taxonomy/diff?from=0&to=2")).body.added).toHaveLength(3);
    });

    it("refuses bad parameters (400) and unknown versions (404) with catalog codes", async () => {
      const cases: [string, number, string][] = [
        ["/api/taxonomy/diff", 400, "validation_failed"],
        ["/api/taxonomy/diff?to=1", 400, "validation_failed"],
        ["/api/taxonomy/diff?from=abc", 400, "validation_failed"],
        ["/api/taxonomy/diff?from=-1", 400, "validation_failed"],
        ["/api/taxonomy/diff?from=1&from=2", 400, "validation_failed"],
        ["/api/taxonomy/diff?from=1&version=2", 400, "validation_failed"],
        ["/api/taxonomy/diff?from=9", 404, "taxonomy_version_not_found"],
        ["/api/taxonomy/diff?from=1&to=9", 404, "taxonomy_version_not_found"],
      ];
      for (const [url, status, code] of cases) {
        const res = await call("GET", url);
        expect([url, res.status, res.body.error?.code]).toEqual([url, status, code]);
      }
    });
  });

  describe("preview", () => {
    const TABLES = [
      "label_assignments",
      "manual_label_decisions",
      "analysis_runs",
      "messages",
      "taxonomy_versions",
      "conversations",
      "notes",
      "note_versions",
      "reanalysis_jobs",
    ];
    const snapshot = async () => {
      const out: Record<string, unknown[]> = {};
      for (const table of TABLES) {
        const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(
          t.database.db,
        );
        out[table] = rows
          .map((r) => JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? String(v) : v)))
          .sort();
      }
      return out;
    };

    beforeEach(async () => {
      await call("PUT", "/api/taxonomy", V1);
      await putConversation("c1", "I want a refund", ago(1));
      await putConversation("c2", "where is my parcel, asap", ago(2), "Parcel late");
      await putConversation("c3", "win money now", ago(3));
      await putConversation("c4", "give me my money back", ago(4));
      await addNote("n1", "parcel lost", ago(5));
      await putConversation("c6", "my money back please", ago(6));
      await putConversation("c8", "win money today", ago(7));
      await putConversation("old", "asap refund", ago(60));
      await drain();
      // People win: a label a person removed is not gained, one a person added is not lost.
      expect((await call("DELETE", "/api/conversations/c6/labels/billing%2Frefund")).status).toBeLessThan(
        300,
      );
      expect((await call("POST", "/api/conversations/c8/labels", { name: "spam" })).status).toBeLessThan(300);
    });

    it("counts per label the items that would gain and lose it, with samples, and writes nothing", async () => {
      const before = await snapshot();
      const { status, body } = await call("POST", "/api/internal/taxonomy/preview", { taxonomy: V2 });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({
        type: "both",
        current_version: 1,
        model_version: null,
        items_in_range: 7,
        items_examined: 7,
        complete: true,
        capped_by: null,
        limits: { items: 2000 },
        items_changed: 4,
        changes: [
          { label: "billing/refund", gained: 1, lost: 0 },
          { label: "shipping", gained: 1, lost: 0 },
          { label: "spam", gained: 0, lost: 1 },
          { label: "urgent", gained: 1, lost: 0 },
        ],
      });
      expect(Date.parse(body.until) - Date.parse(body.from)).toBe(30 * DAY);
      expect(body.samples).toEqual([
        {
          type: "conversation",
          id: "c2",
          note_version: null,
          excerpt: "Parcel late",
          before: ["shipping"],
          after: ["shipping", "urgent"],
        },
        {
          type: "conversation",
          id: "c3",
          note_version: null,
          excerpt: "win money now",
          before: ["spam"],
          after: [],
        },
        {
          type: "conversation",
          id: "c4",
          note_version: null,
          excerpt: "give me my money back",
          before: [],
          after: ["billing/refund"],
        },
        { type: "note", id: "n1", note_version: 1, excerpt: "parcel lost", before: [], after: ["shipping"] },
      ]);
      expect(await snapshot()).toEqual(before);
      // The taxonomy is still version 1, and the labels are those of version 1.
      expect((await call("GET", "/api/taxonomy")).body.version).toBe(1);
    });

    it("reads the range as reanalysis does: from, until, type", async () => {
      const notes = await call("POST", "/api/internal/taxonomy/preview", { taxonomy: V2, type: "note" });
      expect(notes.body).toMatchObject({
        type: "notes",
        items_in_range: 1,
        items_examined: 1,
        changes: [{ label: "shipping", gained: 1, lost: 0 }],
      });
      const wide = await call("POST", "/api/internal/taxonomy/preview", {
        taxonomy: V2,
        from: ago(90),
        type: "conversations",
      });
      expect(wide.body.items_examined).toBe(7);
      expect(wide.body.changes).toContainEqual({ label: "urgent", gained: 2, lost: 0 });
      const narrow = await call("POST", "/api/internal/taxonomy/preview", {
        taxonomy: V2,
        from: ago(3.5),
        until: Date.now() - 1.5 * DAY,
        type: "both",
      });
      expect(narrow.body.samples.map((s: { id: string }) => s.id)).toEqual(["c2", "c3"]);
      // The current taxonomy proposed again changes nothing.
      const same = await call("POST", "/api/internal/taxonomy/preview", { taxonomy: V1 });
      expect(same.body).toMatchObject({ items_examined: 7, items_changed: 0, changes: [], samples: [] });
    });

    it("says when it stopped short: the newest items first, then items, text or time", async () => {
      const deps = { reads: t.database.db, setups: new AnalysisSetupCache(), threads: analysisThreads() };
      const range = { type: "both" as const, from: Date.now() - 30 * DAY, until: Date.now() };
      const byItems = await previewTaxonomy(deps, { taxonomy: V2, range }, { limits: { items: 2 } });
      expect(byItems).toMatchObject({
        items_in_range: 7,
        items_examined: 2,
        complete: false,
        capped_by: "items",
      });
      expect(byItems.samples.map((s) => s.id)).toEqual(["c2"]);
      const byText = await previewTaxonomy(deps, { taxonomy: V2, range }, { limits: { text: 40 } });
      expect(byText).toMatchObject({ complete: false, capped_by: "text" });
      expect(byText.items_examined).toBeGreaterThan(0);
      expect(byText.items_examined).toBeLessThan(7);
      const byTime = await previewTaxonomy(deps, { taxonomy: V2, range }, { limits: { timeMs: 0 } });
      expect(byTime).toMatchObject({ items_examined: 0, complete: false, capped_by: "time" });
      const inChunks = await previewTaxonomy(deps, { taxonomy: V2, range }, { limits: { chunkItems: 2 } });
      expect(inChunks).toMatchObject({ items_examined: 7, items_changed: 4, complete: true });
    });

    it("analyzes big items in the analysis threads, never mixing up two proposals", async () => {
      // Past INLINE_MAX_ITEM_TEXT: analyzed in a worker thread, which keeps taxonomies by version.
      await addNote("big", `${"lorem ipsum ".repeat(4_000)} asap parcel`, ago(0.5));
      await drain();
      const withUrgent = await call("POST", "/api/internal/taxonomy/preview", { taxonomy: V2, type: "note" });
      expect(withUrgent.body.samples[0]).toMatchObject({
        id: "big",
        before: [],
        after: ["shipping", "urgent"],
      });
      expect(withUrgent.body.samples[0].excerpt).toMatch(/^lorem ipsum .*…$/);
      const other = { labels: [{ name: "lorem", rules: { keywords: ["lorem"] } }] };
      const withLorem = await call("POST", "/api/internal/taxonomy/preview", {
        taxonomy: other,
        type: "note",
      });
      expect(withLorem.body.changes).toEqual([{ label: "lorem", gained: 1, lost: 0 }]);
      expect(withLorem.body.samples[0]).toMatchObject({ id: "big", before: [], after: ["lorem"] });
    });

    it("an invalid taxonomy is the very 400 PUT /api/taxonomy answers, per label", async () => {
      const put = await call("PUT", "/api/taxonomy", BAD);
      const preview = await call("POST", "/api/internal/taxonomy/preview", { taxonomy: BAD });
      expect(preview).toEqual(put);
      expect(preview.status).toBe(400);
      expect(preview.body.error.code).toBe("invalid_taxonomy");
      const labels = preview.body.error.details.issues.map((i: { label: string; field: string }) => [
        i.label,
        i.field,
      ]);
      expect(labels).toEqual([
        ["ok", "rules.regex[0]"],
        ["Bad Name", "name"],
        ["extra", "rules.keyword"],
      ]);
      const notObject = await call("POST", "/api/internal/taxonomy/preview", { taxonomy: [1] });
      expect(notObject.body.error.code).toBe("invalid_taxonomy");
    });

    it("refuses bad input with catalog codes", async () => {
      const cases: [unknown, string][] = [
        [{}, "validation_failed"],
        [{ taxonomy: V2, type: "everything" }, "validation_failed"],
        [{ taxonomy: V2, from: "yesterday" }, "invalid_timestamp"],
        [{ taxonomy: V2, from: ago(1), until: ago(2) }, "validation_failed"],
        [{ taxonomy: V2, dry_run: true }, "validation_failed"],
        [{ taxonomy: V2, from: { $gt: 1 } }, "validation_failed"],
      ];
      for (const [payload, code] of cases) {
        const res = await call("POST", "/api/internal/taxonomy/preview", payload);
        expect([JSON.stringify(payload), res.status, res.body.error?.code]).toEqual([
          JSON.stringify(payload),
          400,
          code,
        ]);
      }
      const ingest = await t.api({
        method: "POST",
        url: "/api/internal/taxonomy/preview",
        headers: { authorization: `Bearer ${INGEST_TOKEN}` },
        payload: { taxonomy: V2 },
      });
      expect(ingest.statusCode).toBe(403);
      expect(ingest.json().error.code).toBe("insufficient_scope");
    });

    it("uses the active model where a proposed label asks for it", async () => {
      await call("PUT", "/api/taxonomy", {
        labels: [
          {
            name: "delivery",
            examples: ["where is my parcel", "the parcel did not arrive", "tracking number for my parcel"],
          },
          {
            name: "payment",
            examples: ["I was charged twice", "refund the charge", "my card payment failed"],
          },
        ],
      });
      const trained = await trainModel(t.database, { seed: 1 });
      const proposal = {
        labels: [
          { name: "delivery", detect: ["model"], threshold: 0 },
          { name: "payment", detect: ["model"], threshold: 0 },
        ],
      };
      const { body } = await call("POST", "/api/internal/taxonomy/preview", {
        taxonomy: proposal,
        type: "notes",
      });
      expect(body).toMatchObject({
        model_version: trained.version,
        items_examined: 1,
        changes: [{ label: "delivery", gained: 1, lost: 0 }],
      });
    });
  });
});
