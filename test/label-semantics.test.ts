import { afterEach, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import { freshApp, type TestApp } from "./helpers/app.js";
import { runCli } from "./helpers/cli.js";
import { BACKENDS, freshSqliteUrl } from "./helpers/db.js";

/**
 * Issue 19, items 3–6: one spelling of item types, unknown label names are
 * errors, labels the taxonomy dropped stay visible and removable, and a
 * parent label stands for the labels under it.
 */

const TAXONOMY = {
  labels: [
    { name: "billing/refund", rules: { keywords: ["refund"] } },
    { name: "billing/invoice", rules: { keywords: ["invoice"] } },
    { name: "billing-old", rules: { keywords: ["oldbill"] } },
    { name: "shipping", rules: { keywords: ["parcel"] } },
    { name: "vip", applies_to: ["conversation"] },
  ],
};
/** The next taxonomy version: shipping is dropped, billing/refund no longer applies to notes. */
const WITHOUT_SHIPPING = {
  labels: [
    { name: "billing/refund", applies_to: ["conversation"], rules: { keywords: ["refund"] } },
    { name: "billing/invoice", rules: { keywords: ["invoice"] } },
    { name: "billing-old", rules: { keywords: ["oldbill"] } },
    { name: "vip", applies_to: ["conversation"] },
  ],
};

interface Labeled {
  type: string;
  id: string;
  label: string;
}
interface Label {
  name: string;
  source: string;
  retired: boolean;
}

describe.each(BACKENDS)("label names, kinds and hierarchy on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend);
    await t.api({ method: "PUT", url: "/api/taxonomy", payload: TAXONOMY });
  });
  afterEach(() => t.cleanup());

  const get = async (url: string) => {
    const res = await t.api({ method: "GET", url });
    return { status: res.statusCode, body: res.json() };
  };
  const drain = async () => {
    for (let i = 0; i < 1_000; i++) {
      if ((await t.api({ method: "POST", url: "/api/tick/runners" })).json().remaining === 0) return;
    }
    throw new Error("did not drain");
  };
  const putConversation = (id: string, text: string, day: number) =>
    t.api({
      method: "PUT",
      url: `/api/conversations/${id}`,
      payload: {
        messages: [{ role: "customer", text }],
        updated_at: `2026-01-${String(day).padStart(2, "0")}T00:00:00Z`,
      },
    });
  const addNote = (id: string, text: string, day: number) =>
    t.api({
      method: "POST",
      url: `/api/notes/${id}/versions`,
      payload: { text, created_at: `2026-01-${String(day).padStart(2, "0")}T00:00:00Z` },
    });
  /** Every item of a query by label, page after page, as `type:id`. */
  const walk = async (path: string, query = "") => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `${path}?limit=1${query}${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await get(url);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((i: Labeled) => `${i.type}:${i.id}`));
      cursor = page.body.next_cursor;
    } while (cursor);
    return seen;
  };
  const seed = async () => {
    await putConversation("c1", "a refund please", 1);
    await putConversation("c2", "the invoice is wrong", 2);
    await putConversation("c3", "refund the invoice", 3);
    await putConversation("c4", "oldbill", 4);
    await putConversation("c5", "where is my parcel", 5);
    await addNote("n1", "customer wants a refund", 6);
    await drain();
  };

  describe("3. one spelling of item types: plural, the singular as an alias", () => {
    it("takes type=conversations|notes (and the singular) on queries by label, the list and the trend", async () => {
      await seed();
      for (const [type, expected] of [
        ["conversations", ["conversation:c1", "conversation:c3"]],
        ["conversation", ["conversation:c1", "conversation:c3"]],
        ["notes", ["note:n1"]],
        ["note", ["note:n1"]],
      ] as const) {
        expect(await walk("/api/labels/billing%2Frefund/items", `&type=${type}`)).toEqual(expected);
      }
      const items = await get("/api/items?labels=billing%2Frefund&type=notes");
      expect(items.body.items.map((i: Labeled) => i.id)).toEqual(["n1"]);
      for (const type of ["notes", "note"]) {
        const trend = await get(
          `/api/labels/trend?labels=billing%2Frefund&from=2026-01-01&until=2026-01-07&type=${type}`,
        );
        expect(trend.status).toBe(200);
        expect(trend.body.series[0].total).toBe(1);
      }
      // Filters name one kind; both is what leaving `type` out means.
      expect((await get("/api/labels/billing%2Frefund/items?type=both")).status).toBe(400);
    });

    it("takes both and the singular on the reanalysis request and the preview, and answers in the plural", async () => {
      const start = async (query: string) =>
        (await t.api({ method: "POST", url: `/api/internal/labels/reanalysis?dry_run=true&${query}` })).json()
          .type;
      expect(await start("type=conversations")).toBe("conversations");
      expect(await start("type=conversation")).toBe("conversations");
      expect(await start("type=note")).toBe("notes");
      expect(await start("type=both")).toBe("both");
      const bad = await t.api({ method: "POST", url: "/api/internal/labels/reanalysis?type=constructor" });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toContain("use conversations, notes or both");
      const preview = await t.api({
        method: "POST",
        url: "/api/internal/taxonomy/preview",
        payload: { taxonomy: TAXONOMY, type: "notes" },
      });
      expect(preview.json().type).toBe("notes");
    });

    it("documents every `type` parameter with the plural first, and one path parameter name per resource", async () => {
      const spec = (await t.app.inject({ method: "GET", url: "/openapi.json" })).json();
      const typeParams: { path: string; values: string[] }[] = [];
      for (const [path, operations] of Object.entries<Record<string, { parameters?: unknown[] }>>(
        spec.paths,
      )) {
        for (const operation of Object.values(operations)) {
          for (const p of (operation.parameters ?? []) as {
            name: string;
            in: string;
            schema?: { enum?: string[] };
          }[]) {
            if (p.in === "query" && p.name === "type" && p.schema?.enum)
              typeParams.push({ path, values: p.schema.enum });
          }
        }
      }
      expect(typeParams.map((p) => p.path).sort()).toEqual([
        "/api/items",
        "/api/items/export",
        "/api/labels/trend",
        "/api/labels/{name}/items",
      ]);
      for (const p of typeParams) expect(p.values.slice(0, 2)).toEqual(["conversations", "notes"]);
      const paths = Object.keys(spec.paths);
      expect(paths).toContain("/api/conversations/{fs_id}/labels/{name}");
      expect(paths).toContain("/api/notes/{note_id}/labels/history");
      expect(paths.filter((p) => /^\/api\/(conversations|notes)\/\{id\}/.test(p))).toEqual([]);
    });
  });

  describe("4. unknown names are errors", () => {
    it("answers 404 label_not_found for a label nothing has, and 200 for a label of the taxonomy without items", async () => {
      await seed();
      const unknown = await get("/api/labels/billing%2Frefnud/items");
      expect(unknown.status).toBe(404);
      expect(unknown.body.error).toMatchObject({
        code: "label_not_found",
        details: { label: "billing/refnud" },
      });
      expect((await get("/api/labels/stats?label=nope")).body.error.code).toBe("label_not_found");
      const vip = await get("/api/labels/vip/items");
      expect(vip).toEqual({ status: 200, body: { items: [], next_cursor: null } });
      // A prefix of a name is not its parent: bill is neither billing nor billing-old.
      expect((await get("/api/labels/bill/items")).status).toBe(404);
    });
  });

  describe("5. labels the current taxonomy no longer has", () => {
    it("marks them retired on items, stats and the overview, and lets a person remove them", async () => {
      await seed();
      await addNote("n2", "refund", 7);
      await drain();
      await t.api({ method: "PUT", url: "/api/taxonomy", payload: WITHOUT_SHIPPING });

      const c5 = await get("/api/conversations/c5");
      expect(c5.body.labels.map((l: Label) => [l.name, l.retired])).toEqual([["shipping", true]]);
      const c1 = await get("/api/conversations/c1");
      expect(c1.body.labels.map((l: Label) => [l.name, l.retired])).toEqual([["billing/refund", false]]);
      const stats = (await get("/api/labels/stats")).body.labels as { name: string; retired: boolean }[];
      expect(stats.find((s) => s.name === "shipping")?.retired).toBe(true);
      expect(stats.find((s) => s.name === "billing/refund")?.retired).toBe(false);
      const overview = (await get("/api/overview")).body.labels as { name: string; retired: boolean }[];
      expect(overview.find((s) => s.name === "shipping")?.retired).toBe(true);
      expect(overview.find((s) => s.name === "billing/invoice")?.retired).toBe(false);
      // Still queryable while items carry it.
      expect(await walk("/api/labels/shipping/items")).toEqual(["conversation:c5"]);

      const removed = await t.api({ method: "DELETE", url: "/api/conversations/c5/labels/shipping" });
      expect(removed.statusCode).toBe(200);
      expect(removed.json().labels).toEqual([]);
      // A label that no longer applies to notes can go from a note too.
      const fromNote = await t.api({ method: "DELETE", url: "/api/notes/n2/labels/billing%2Frefund" });
      expect(fromNote.statusCode).toBe(200);
      expect(fromNote.json().labels).toEqual([]);
      // Carried by nothing now: it is gone from the stats, and asking for it is a 404.
      expect(
        ((await get("/api/labels/stats")).body.labels as Label[]).some((s) => s.name === "shipping"),
      ).toBe(false);
      expect((await get("/api/labels/shipping/items")).status).toBe(404);
      // A label neither carried nor in the taxonomy is still a typo: nothing is recorded.
      const typo = await t.api({ method: "DELETE", url: "/api/conversations/c1/labels/shiping" });
      expect(typo.statusCode).toBe(400);
      expect(typo.json().error.code).toBe("unknown_label");
      // Adding a retired label by hand stays refused.
      const add = await t.api({
        method: "POST",
        url: "/api/conversations/c1/labels",
        payload: { name: "shipping" },
      });
      expect(add.json().error.code).toBe("unknown_label");
    });
  });

  describe("6. a parent stands for the labels under it", () => {
    it("lists each item under a parent once, pages through them, and keeps names with / working", async () => {
      await seed();
      expect(await walk("/api/labels/billing/items")).toEqual([
        "conversation:c1",
        "conversation:c2",
        "conversation:c3",
        "note:n1",
      ]);
      expect(await walk("/api/labels/billing/items", "&type=notes")).toEqual(["note:n1"]);
      const page = (await get("/api/labels/billing/items?updated_from=2026-01-03&updated_until=2026-01-03"))
        .body;
      // c3 carries both labels under billing: listed once, with the one it matched on.
      expect(page.items).toHaveLength(1);
      expect(["billing/refund", "billing/invoice"]).toContain(page.items[0].label);
      // A name with a slash, URL-encoded, is one label; unencoded it is another path.
      expect(await walk("/api/labels/billing%2Frefund/items")).toEqual([
        "conversation:c1",
        "conversation:c3",
        "note:n1",
      ]);
      expect(await walk("/api/labels/billing%2frefund/items")).toEqual([
        "conversation:c1",
        "conversation:c3",
        "note:n1",
      ]);
      expect((await get("/api/labels/billing/refund/items")).status).toBe(404);
      // billing-old is not under billing.
      expect(await walk("/api/labels/billing-old/items")).toEqual(["conversation:c4"]);
    });

    it("rolls the stats up under a parent, each item counted once", async () => {
      await seed();
      const stats = (await get("/api/labels/stats?label=billing")).body;
      expect(stats.labels.map((l: Label) => l.name)).toEqual(["billing/invoice", "billing/refund"]);
      expect(stats.total).toEqual({ name: "billing", conversations: 3, notes: 1, manual: 0 });
      // c1 carries billing/refund by rule; a person adds billing/invoice: still one item, now a manual one.
      await t.api({
        method: "POST",
        url: "/api/conversations/c1/labels",
        payload: { name: "billing/invoice" },
      });
      const after = (await get("/api/labels/stats?label=billing")).body;
      expect(after.total).toEqual({ name: "billing", conversations: 3, notes: 1, manual: 1 });
      expect(after.labels.map((l: Label & { conversations: number }) => l.conversations)).toEqual([3, 2]);
      const leaf = (await get("/api/labels/stats?label=billing%2Frefund")).body;
      expect(leaf.total).toEqual({ name: "billing/refund", conversations: 2, notes: 1, manual: 0 });
      expect((await get("/api/labels/stats")).body.total).toBeUndefined();
    });
  });
});

describe("labels on the command line", () => {
  it("spells types as the API does and fails on an item or label that does not exist", async () => {
    const { url, drop } = freshSqliteUrl();
    const env = { DATABASE_URL: url };
    onTestFinished(drop);
    const history = await runCli(["labels", "history", "conversations", "no-such-item"], env);
    expect(history.code).not.toBe(0);
    expect(history.stderr).toContain("no-such-item");
    const singular = await runCli(["labels", "history", "conversation", "no-such-item"], env);
    expect(singular.code).not.toBe(0);
    // A positional argument: no --type option to blame.
    const badType = await runCli(["labels", "history", "tickets", "x"], env);
    expect(badType.code).not.toBe(0);
    expect(badType.stderr).toContain("conversations or notes");
    expect(badType.stderr).not.toContain("--type");
    const items = await runCli(["labels", "items", "no/such-label", "--type", "notes"], env);
    expect(items.code).not.toBe(0);
    expect(items.stderr).toContain("no/such-label");
  });
});
