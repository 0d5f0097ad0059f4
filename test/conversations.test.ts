import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freshApp, type TestApp } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";

describe.each(BACKENDS)("conversations on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend);
  });
  afterEach(() => t.cleanup());

  const body = {
    subject: "Refund please",
    messages: [
      { role: "customer", text: "I was charged twice", at: "2026-03-01T10:00:00Z" },
      { role: "agent", text: "Sorry! Refund on its way." },
    ],
    metadata: { channel: "email", tags: ["vip"], nested: { n: 1 } },
    created_at: "2026-03-01T09:59:00Z",
    updated_at: "2026-03-01T11:05:00+01:00",
  };

  it("creates (201), reads back, replaces (200) and deletes (204) a conversation", async () => {
    const created = await t.api({ method: "PUT", url: "/api/conversations/c-1", payload: body });
    expect(created.statusCode).toBe(201);
    const expected = {
      fs_id: "c-1",
      subject: "Refund please",
      messages: [
        { role: "customer", text: "I was charged twice", at: "2026-03-01T10:00:00.000Z" },
        { role: "agent", text: "Sorry! Refund on its way.", at: null },
      ],
      metadata: { channel: "email", tags: ["vip"], nested: { n: 1 } },
      created_at: "2026-03-01T09:59:00.000Z",
      updated_at: "2026-03-01T10:05:00.000Z",
      labels: [],
    };
    expect(created.json()).toEqual(expected);
    expect((await t.api({ method: "GET", url: "/api/conversations/c-1" })).json()).toEqual(expected);

    const replaced = await t.api({
      method: "PUT",
      url: "/api/conversations/c-1",
      payload: { subject: "Second", updated_at: "2026-03-02T00:00:00Z" },
    });
    expect(replaced.statusCode).toBe(200);
    // A replacement keeps created_at when it does not send one.
    expect(replaced.json()).toMatchObject({
      subject: "Second",
      messages: [],
      created_at: expected.created_at,
    });

    expect((await t.api({ method: "DELETE", url: "/api/conversations/c-1" })).statusCode).toBe(204);
    const gone = await t.api({ method: "GET", url: "/api/conversations/c-1" });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe("conversation_not_found");
    expect((await t.api({ method: "DELETE", url: "/api/conversations/c-1" })).statusCode).toBe(404);
  });

  it("defaults timestamps to now and subject to empty", async () => {
    const before = Date.now();
    const res = await t.api({ method: "PUT", url: "/api/conversations/min", payload: {} });
    expect(res.statusCode).toBe(201);
    const c = res.json();
    expect(c.subject).toBe("");
    expect(Date.parse(c.updated_at)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(c.created_at)).toBeLessThanOrEqual(Date.parse(c.updated_at));
  });

  it("round-trips unicode and SQL-looking ids intact", async () => {
    for (const id of [
      "日本語-🎉",
      "'; drop table conversations; --",
      "a/b?c#d",
      "x".repeat(255),
      "é\u0301",
    ]) {
      const url = `/api/conversations/${encodeURIComponent(id)}`;
      expect((await t.api({ method: "PUT", url, payload: { subject: id } })).statusCode).toBe(201);
      const got = await t.api({ method: "GET", url });
      expect(got.json()).toMatchObject({ fs_id: id, subject: id });
    }
  });

  it("pages through a time range with a stable keyset cursor", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const id = `p-${String(i).padStart(2, "0")}`;
      ids.push(id);
      // Several share one timestamp, so the id must break ties.
      const day = String(1 + Math.floor(i / 3)).padStart(2, "0");
      await t.api({
        method: "PUT",
        url: `/api/conversations/${id}`,
        payload: { updated_at: `2026-01-${day}T00:00:00Z` },
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : "";
      const res = await t.api({ method: "GET", url: `/api/conversations?limit=4${query}` });
      expect(res.statusCode).toBe(200);
      const page = res.json();
      expect(page.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.items.map((c: { fs_id: string }) => c.fs_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids);

    const ranged = await t.api({
      method: "GET",
      url: "/api/conversations?updated_from=2026-01-02&updated_until=2026-01-03&limit=100",
    });
    // until is date-only, so it covers the whole of 2026-01-03.
    expect(ranged.json().items.map((c: { fs_id: string }) => c.fs_id)).toEqual(ids.slice(3, 9));
    expect(ranged.json().next_cursor).toBeNull();
  });
});
