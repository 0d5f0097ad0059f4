import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_PAGE_CONTENT } from "../src/page-budget.js";
import { freshApp, type TestApp } from "./helpers/app.js";
import { insertConversations } from "./helpers/bulk.js";
import { BACKENDS } from "./helpers/db.js";

/**
 * Lists are bounded by size as well as count: 1,000 items of ~0.9 MB each
 * (each within the body limit) once made one page of 2.2 GB and a 500.
 */
const BIG = 900_000;
const COUNT = 12;

describe.each(BACKENDS)("page size bounds on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend);
  });
  afterEach(() => t.cleanup());

  /** Every page from the first, following next_cursor. */
  async function allPages(path: string): Promise<{ ids: string[]; pages: number; biggest: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    let biggest = 0;
    do {
      const url: string = `${path}${path.includes("?") ? "&" : "?"}limit=1000${cursor ? `&cursor=${cursor}` : ""}`;
      const response = await t.api({ method: "GET", url });
      expect(response.statusCode).toBe(200);
      biggest = Math.max(biggest, response.body.length);
      const page = response.json();
      for (const item of page.items) ids.push(item.fs_id ?? item.note_id ?? String(item.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== null && pages < 100);
    return { ids, pages, biggest };
  }

  it("pages big conversations by size, each once, in order", async () => {
    await insertConversations(t.database, COUNT, { prefix: "big", text: (i) => `${i} `.padEnd(BIG, "x") });
    const { ids, pages, biggest } = await allPages("/api/conversations");
    expect(ids).toEqual(Array.from({ length: COUNT }, (_, i) => `big-${String(i).padStart(7, "0")}`));
    expect(pages).toBeGreaterThan(1);
    expect(biggest).toBeLessThan(MAX_PAGE_CONTENT + 2 * BIG);
  });

  it("pages big notes by size, each once", async () => {
    for (let i = 0; i < COUNT; i++) {
      const posted = await t.api({
        method: "POST",
        url: `/api/notes/n${String(i).padStart(2, "0")}/versions`,
        payload: { text: `${i} `.padEnd(BIG, "y"), created_at: 1_700_000_000_000 + i },
      });
      expect(posted.statusCode).toBe(201);
    }
    const { ids, pages, biggest } = await allPages("/api/notes");
    expect(ids).toEqual(Array.from({ length: COUNT }, (_, i) => `n${String(i).padStart(2, "0")}`));
    expect(pages).toBeGreaterThan(1);
    expect(biggest).toBeLessThan(MAX_PAGE_CONTENT + 2 * BIG);
  });

  it("pages big dead letters by size", async () => {
    const now = Date.now();
    await t.database.db
      .insertInto("messages")
      .values(
        Array.from({ length: COUNT }, (_, i) => ({
          topic: "conversation_note_analysis",
          key: JSON.stringify({ conversation_fs_id: `gone-${i}` }),
          data: JSON.stringify({ blob: "z".repeat(BIG) }),
          state: "failed" as const,
          priority: 0,
          attempts: 5,
          max_attempts: 5,
          run_at: now,
          created_at: now,
          finished_at: now,
          last_error: "test",
        })),
      )
      .execute();
    const { ids, pages, biggest } = await allPages("/api/internal/pubsub/dead-letters");
    expect(ids).toHaveLength(COUNT);
    expect(new Set(ids).size).toBe(COUNT);
    expect(pages).toBeGreaterThan(1);
    expect(biggest).toBeLessThan(MAX_PAGE_CONTENT + 2 * BIG);
  });
});
