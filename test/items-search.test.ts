import { parse } from "csv-parse/sync";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXPORT_CHUNK } from "../src/items/export.js";
import { decodeItemCursor, listItems, toItemFilter } from "../src/items/list.js";
import { freshApp, INGEST_TOKEN, type TestApp } from "./helpers/app.js";
import { insertConversations } from "./helpers/bulk.js";
import { BACKENDS } from "./helpers/db.js";

const TAXONOMY = {
  labels: [
    { name: "fruit/apple", rules: { keywords: ["apple"] } },
    { name: "fruit/banana", rules: { keywords: ["banana"] } },
    { name: "vip" },
  ],
};

interface Item {
  type: string;
  id: string;
  updated_at: string;
  preview: string;
  labels: { name: string; source: string; confidence: number }[];
}

const day = (d: number) => `2026-03-${String(d).padStart(2, "0")}T10:00:00Z`;

describe.each(BACKENDS)("items list, search and export on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend);
    await t.api({ method: "PUT", url: "/api/taxonomy", payload: TAXONOMY });
    const put = (id: string, payload: object) =>
      t.api({ method: "PUT", url: `/api/conversations/${encodeURIComponent(id)}`, payload });
    const note = (id: string, text: string, at: string) =>
      t.api({ method: "POST", url: `/api/notes/${id}/versions`, payload: { text, created_at: at } });
    await put("c1", {
      subject: "Order of apples",
      messages: [{ role: "customer", text: "apple and banana split" }],
      updated_at: day(1),
    });
    await put("c2", { messages: [{ role: "customer", text: "an apple pie" }], updated_at: day(2) });
    await put("c3", { messages: [{ role: "agent", text: "banana bread" }], updated_at: day(3) });
    await put("c4", { subject: "nothing here", updated_at: day(4) });
    await note("n1", "apple zebra", day(5));
    await note("n1", "banana now", day(6));
    await note("n2", "plain note", day(7));
    await t.api({ method: "POST", url: "/api/tick/runners" });
    await t.api({ method: "POST", url: "/api/conversations/c4/labels", payload: { name: "vip" } });
  });
  afterEach(() => t.cleanup());

  const list = async (query: string): Promise<Item[]> => {
    const res = await t.api({ method: "GET", url: `/api/items?${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items;
  };
  const ids = async (query: string) => (await list(query)).map((i) => i.id);

  it("lists conversations and notes together, newest activity first, with previews and labels", async () => {
    const items = await list("");
    expect(items.map((i) => i.id)).toEqual(["n2", "n1", "c4", "c3", "c2", "c1"]);
    const c1 = items.find((i) => i.id === "c1");
    expect(c1).toMatchObject({
      type: "conversation",
      updated_at: "2026-03-01T10:00:00.000Z",
      preview: "Order of apples apple and banana split",
    });
    expect(c1?.labels.map((l) => `${l.name}:${l.source}`)).toEqual(["fruit/apple:rule", "fruit/banana:rule"]);
    expect(items.find((i) => i.id === "n1")).toMatchObject({ type: "note", preview: "banana now" });
  });

  it("filters by labels (all, any, none), source, type and time range", async () => {
    expect(await ids("labels=fruit/apple,fruit/banana")).toEqual(["c1"]);
    expect(await ids("labels=fruit/apple&labels=fruit/banana&label_mode=all")).toEqual(["c1"]);
    expect(await ids("labels=fruit/apple,fruit/banana&label_mode=any")).toEqual(["n1", "c3", "c2", "c1"]);
    expect(await ids("labels=fruit/apple,fruit/banana&label_mode=none")).toEqual(["n2", "c4"]);
    expect(await ids("source=manual")).toEqual(["c4"]);
    expect(await ids("source=rule&labels=fruit/apple")).toEqual(["c2", "c1"]);
    expect(await ids("source=manual&labels=fruit/apple")).toEqual([]);
    expect(await ids("source=manual&labels=fruit/apple&label_mode=none")).toEqual(["c4"]);
    expect(await ids("type=notes")).toEqual(["n2", "n1"]);
    expect(await ids("type=note")).toEqual(["n2", "n1"]);
    expect(await ids("type=conversations&labels=fruit/banana")).toEqual(["c3", "c1"]);
    expect(await ids("updated_from=2026-03-02&updated_until=2026-03-06")).toEqual(["n1", "c4", "c3", "c2"]);
    expect(await ids("updated_from=2026-03-02&updated_until=2026-03-05")).toEqual(["c4", "c3", "c2"]);
    expect(await ids("updated_until=2026-03-02")).toEqual(["c2", "c1"]);
  });

  it("answers the same whether a filter drives the page or rows are walked in time order", async () => {
    const queries = [
      {},
      { labels: "fruit/apple,fruit/banana" },
      { labels: "fruit/apple,fruit/banana", label_mode: "any" as const },
      { labels: "fruit/apple", label_mode: "none" as const, source: "manual" as const },
      { source: "rule" as const },
      { q: "banana" },
      { q: "banana", labels: "fruit/apple" },
      { q: "apple", labels: "fruit/banana" },
      { q: "banana", labels: "fruit/apple,vip", label_mode: "any" as const },
      { labels: "fruit/apple,fruit/banana", source: "rule" as const },
      { labels: "fruit/apple,vip" },
      { labels: "fruit/banana", q: "bread", type: "conversations" as const },
    ];
    for (const query of queries) {
      const filter = await toItemFilter(t.database.db, { label_mode: "all", ...query });
      const driven = await listItems(t.database, filter, undefined, 100);
      if (backend === "postgres" && query === queries[3]) {
        // From here on, PostgreSQL's searches are sized from statistics, not counted.
        await sql`analyze`.execute(t.database.db);
      }
      // Every way of finding a page (list.ts, kindRows): walked; several filters counted, the
      // rarest driving (checked against the others, or as a set while walking), after a
      // walk bounded to one row or not; searches as sets of matches or row by row.
      const tunings = [
        { candidates: 0, matchSets: true },
        { candidates: 0, matchSets: false },
        { candidates: 0, plans: false },
        { single: false },
        { single: false, matchSets: false },
        { single: false, walk: 1 },
        { candidates: 0, walk: 1 },
      ];
      for (const tuning of tunings) {
        const walked = await listItems(t.database, filter, undefined, 100, tuning);
        expect(walked, JSON.stringify({ ...query, ...tuning })).toEqual(driven);
      }
      // And page by page, one item a page.
      for (const tuning of [
        { candidates: 0, matchSets: false },
        { single: false, walk: 1 },
        { single: false },
      ]) {
        const pages: string[] = [];
        let cursor: string | null = null;
        do {
          const after = cursor ? decodeItemCursor(cursor) : undefined;
          const page = await listItems(t.database, filter, after, 1, tuning);
          pages.push(...page.items.map((i) => i.id));
          cursor = page.next_cursor;
        } while (cursor);
        expect(pages, JSON.stringify({ ...query, ...tuning })).toEqual(driven.items.map((i) => i.id));
      }
    }
  });

  it("searches subjects, messages and a note's latest version only", async () => {
    expect(await ids("q=order")).toEqual(["c1"]);
    expect(await ids("q=PIE")).toEqual(["c2"]);
    expect(await ids("q=bread")).toEqual(["c3"]);
    expect(await ids("q=now")).toEqual(["n1"]);
    expect(await ids("q=zebra")).toEqual([]); // only in n1's older version
    expect(await ids("q=banana")).toEqual(["n1", "c3", "c1"]);
    expect(await ids("q=banana%20apple")).toEqual(["c1"]); // every word
    expect(await ids("q=banana&type=conversations&labels=fruit/apple")).toEqual(["c1"]);
    expect(await ids("q=%20%20")).toHaveLength(6); // a blank search is no search
    expect(await ids("q=*")).toEqual([]); // no word: nothing matches
  });

  it("finds words in other scripts", async () => {
    await t.api({
      method: "PUT",
      url: "/api/conversations/intl",
      payload: {
        subject: "Привет мир",
        messages: [{ role: "customer", text: "Καλημέρα κόσμε — مرحبا بالعالم — 日本語 — naïve café" }],
      },
    });
    expect(await ids("q=привет")).toEqual(["intl"]);
    expect(await ids("q=МИР")).toEqual(["intl"]);
    expect(await ids(`q=${encodeURIComponent("Καλημέρα")}`)).toEqual(["intl"]);
    expect(await ids(`q=${encodeURIComponent("مرحبا")}`)).toEqual(["intl"]);
    expect(await ids(`q=${encodeURIComponent("日本語")}`)).toEqual(["intl"]);
    expect(await ids(`q=${encodeURIComponent("café naïve")}`)).toEqual(["intl"]);
    if (backend === "sqlite") expect(await ids("q=cafe")).toEqual(["intl"]); // diacritics removed
  });

  it("keeps the search index in step with replacements, new versions and erasures", async () => {
    await t.api({
      method: "PUT",
      url: "/api/conversations/c2",
      payload: { messages: [{ role: "customer", text: "cherry tart" }], updated_at: day(2) },
    });
    expect(await ids("q=pie")).toEqual([]);
    expect(await ids("q=cherry")).toEqual(["c2"]);
    await t.api({
      method: "POST",
      url: "/api/notes/n1/versions",
      payload: { text: "kiwi", created_at: day(8) },
    });
    expect(await ids("q=now")).toEqual([]);
    expect(await ids("q=kiwi")).toEqual(["n1"]);
    expect((await t.api({ method: "DELETE", url: "/api/conversations/c3" })).statusCode).toBe(204);
    expect((await t.api({ method: "DELETE", url: "/api/notes/n1" })).statusCode).toBe(204);
    expect(await ids("q=bread")).toEqual([]);
    expect(await ids("q=kiwi")).toEqual([]);
    // Created again under the same ids: found by their new text only.
    await t.api({ method: "PUT", url: "/api/conversations/c3", payload: { subject: "mango" } });
    await t.api({ method: "POST", url: "/api/notes/n1/versions", payload: { text: "papaya" } });
    expect(await ids("q=mango")).toEqual(["c3"]);
    expect(await ids("q=papaya")).toEqual(["n1"]);
    expect(await ids("q=bread")).toEqual([]);
  });

  it("never fails on a hostile search string", async () => {
    const hostile = [
      '"',
      '""',
      "'",
      "*",
      "apple*",
      "NEAR",
      "NEAR(apple banana)",
      "apple NEAR/2 banana",
      "-apple",
      "apple -banana",
      "(apple",
      "apple)",
      "apple OR banana",
      "apple AND NOT banana",
      "body:apple",
      "^apple",
      "{body}: apple",
      "a".repeat(1_000),
      '( " * - NEAR '.repeat(70).slice(0, 1_000),
      "apple's & banana | !pie <-> :*",
      "\u202eevil\u202c \u200b",
      "🎉 emoji 🎉",
      "\\",
      "%",
      "_",
    ];
    for (const q of hostile) {
      const res = await t.api({ method: "GET", url: `/api/items?q=${encodeURIComponent(q)}` });
      expect(res.statusCode, q).toBe(200);
      const exported = await t.api({ method: "GET", url: `/api/items/export?q=${encodeURIComponent(q)}` });
      expect(exported.statusCode, q).toBe(200);
    }
    expect(await ids(`q=${encodeURIComponent('"apple"')}`)).toEqual(["c2", "c1"]);
    expect(await ids(`q=${encodeURIComponent("NEAR(apple banana)")}`)).toEqual([]); // 'near' is a word too
    const tooLong = await t.api({ method: "GET", url: `/api/items?q=${"a".repeat(1_001)}` });
    expect(tooLong.statusCode).toBe(400);
    const nul = await t.api({ method: "GET", url: "/api/items?q=a%00b" });
    expect(nul.statusCode).toBe(400);
  });

  it("refuses unknown labels, parameters and cursors with a 400 naming them", async () => {
    const unknown = await t.api({ method: "GET", url: "/api/items?labels=fruit/apple,fruit/kiwi" });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({ code: "unknown_label", details: { label: "fruit/kiwi" } });
    const exportUnknown = await t.api({ method: "GET", url: "/api/items/export?labels=nope" });
    expect(exportUnknown.json().error.code).toBe("unknown_label");
    for (const url of [
      "/api/items?labelz=x",
      "/api/items?type=tickets",
      "/api/items?label_mode=some",
      "/api/items?source=people",
      "/api/items?limit=0",
      "/api/items?limit=1001",
      "/api/items?updated_from=yesterday",
      "/api/items/export?format=xml",
      "/api/items/export?cursor=x",
    ]) {
      const res = await t.api({ method: "GET", url });
      expect(res.statusCode, url).toBe(400);
    }
    const cursor = await t.api({ method: "GET", url: "/api/items?cursor=nonsense" });
    expect(cursor.json().error.code).toBe("invalid_cursor");
  });

  it("paginates over every item exactly once", async () => {
    await insertConversations(t.database, 250, { at: (i) => Date.parse(day(10)) + (i % 7) * 1000 });
    const all = await list("limit=1000");
    expect(all).toHaveLength(256);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.api({
        method: "GET",
        url: `/api/items?limit=17${cursor ? `&cursor=${cursor}` : ""}`,
      });
      const page = res.json();
      expect(page.items.length).toBeLessThanOrEqual(17);
      seen.push(...page.items.map((i: Item) => `${i.type}:${i.id}`));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.map((i) => `${i.type}:${i.id}`));
    expect(new Set(seen).size).toBe(256);
    // Search over the direct inserts too (the index follows every write, not only the service's).
    expect(await list("q=refund&limit=1000")).toHaveLength(250);
  });

  it("exports the list's items as NDJSON and CSV, streamed, with labels", async () => {
    const query = "labels=fruit/apple,fruit/banana&label_mode=any";
    const items = await list(query);
    const ndjson = await t.api({ method: "GET", url: `/api/items/export?format=ndjson&${query}` });
    expect(ndjson.statusCode).toBe(200);
    expect(ndjson.headers["content-type"]).toMatch(/^application\/x-ndjson/);
    expect(ndjson.headers["content-disposition"]).toMatch(
      /^attachment; filename="relabel-items-.*\.ndjson"$/,
    );
    const lines = ndjson.body
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(
      lines.map((l) => ({ type: l.type, id: l.id, updated_at: l.updated_at, labels: l.labels })),
    ).toEqual(items.map((i) => ({ type: i.type, id: i.id, updated_at: i.updated_at, labels: i.labels })));
    expect(lines.find((l) => l.id === "c1")).toMatchObject({
      subject: "Order of apples",
      messages: [{ role: "customer", text: "apple and banana split", at: null }],
    });
    expect(lines.find((l) => l.id === "n1")).toMatchObject({ version: 2, text: "banana now" });

    const csv = await t.api({ method: "GET", url: `/api/items/export?format=csv&${query}` });
    expect(csv.headers["content-type"]).toMatch(/^text\/csv/);
    expect(csv.headers["content-disposition"]).toMatch(/\.csv"$/);
    const rows: string[][] = parse(csv.body);
    expect(rows[0]).toEqual(["type", "id", "updated_at", "labels", "text"]);
    expect(rows.slice(1).map((r) => r.slice(0, 4))).toEqual(
      items.map((i) => [i.type, i.id, i.updated_at, i.labels.map((l) => l.name).join("|")]),
    );
    expect(rows.find((r) => r[1] === "c1")?.[4]).toBe("Order of apples\ncustomer: apple and banana split");
  });

  it("neutralizes formulas and quotes every special character in CSV", async () => {
    await t.api({
      method: "PUT",
      url: "/api/conversations/%3Dcmd",
      payload: { subject: '=HYPERLINK("http://evil","x"), "quoted"\r\nnext', updated_at: day(20) },
    });
    await t.api({
      method: "POST",
      url: "/api/notes/%2Bsum/versions",
      payload: { text: "@SUM(1,2)", created_at: day(21) },
    });
    await t.api({
      method: "POST",
      url: "/api/notes/tab/versions",
      payload: { text: "\t-1+2", created_at: day(22) },
    });
    await t.api({
      method: "POST",
      url: "/api/notes/minus/versions",
      payload: { text: "-2+3", created_at: day(23) },
    });
    const csv = await t.api({ method: "GET", url: "/api/items/export?format=csv&updated_from=2026-03-20" });
    const rows: string[][] = parse(csv.body);
    expect(rows.slice(1)).toEqual([
      ["note", "minus", "2026-03-23T10:00:00.000Z", "", "'-2+3"],
      ["note", "tab", "2026-03-22T10:00:00.000Z", "", "'\t-1+2"],
      ["note", "'+sum", "2026-03-21T10:00:00.000Z", "", "'@SUM(1,2)"],
      [
        "conversation",
        "'=cmd",
        "2026-03-20T10:00:00.000Z",
        "",
        `'=HYPERLINK("http://evil","x"), "quoted"\r\nnext`,
      ],
    ]);
  });

  it("exports more items than one internal chunk, in order, each once", async () => {
    const count = EXPORT_CHUNK * 2 + 37;
    await insertConversations(t.database, count, { at: (i) => Date.parse(day(10)) + i });
    const res = await t.api({
      method: "GET",
      url: "/api/items/export?format=ndjson&type=conversations&q=refund",
    });
    const lines = res.body
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(count);
    expect(lines[0].id).toBe(`bulk-${String(count - 1).padStart(7, "0")}`);
    expect(new Set(lines.map((l) => l.id)).size).toBe(count);
    const csv = await t.api({ method: "GET", url: "/api/items/export?format=csv" });
    expect(parse(csv.body)).toHaveLength(count + 6 + 1);
  });

  it("is readable with an ingest token and documented in the OpenAPI document", async () => {
    for (const url of ["/api/items", "/api/items/export"]) {
      const res = await t.app.inject({
        method: "GET",
        url,
        headers: { authorization: `Bearer ${INGEST_TOKEN}` },
      });
      expect(res.statusCode, url).toBe(200);
      expect((await t.app.inject({ method: "GET", url })).statusCode).toBe(401);
    }
    const spec = (await t.app.inject({ method: "GET", url: "/openapi.json" })).json();
    expect(spec.paths["/api/items"].get.responses["200"]).toBeDefined();
    expect(spec.paths["/api/items/export"].get.responses["200"]).toBeDefined();
    expect(spec.paths["/api/items"].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(["labels", "label_mode", "source", "type", "q", "cursor", "limit"]),
    );
  });
});
