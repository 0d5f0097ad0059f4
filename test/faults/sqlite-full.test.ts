import { readFileSync } from "node:fs";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { freshApp, type TestApp } from "../helpers/app.js";
import { TAXONOMY } from "./fixtures.js";

const BIG_TEXT = "please refund the duplicate charge on my card ".repeat(2_000); // ~90 KB

/**
 * A full disk, forced with PRAGMA max_page_count on the server's own
 * connection: the database may not grow by a page.
 */
describe("a full SQLite database", () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp("sqlite");
  });
  afterEach(() => t.cleanup());

  const pragma = async (text: string) => (await sql.raw(`PRAGMA ${text}`).execute(t.database.db)).rows;
  const put = (id: string) =>
    t.api({
      method: "PUT",
      url: `/api/conversations/${id}`,
      payload: { messages: [{ role: "customer", text: BIG_TEXT }] },
    });
  const drain = async () => {
    for (let i = 0; i < 50; i++) {
      const res = await t.api({ method: "POST", url: "/api/tick/runners" });
      if (res.statusCode === 200 && res.json().remaining === 0) return res;
    }
    throw new Error("the queue did not drain");
  };

  it("answers writes 507 storage_full, keeps reads working, loses nothing, and resumes once space is freed", async () => {
    const taxonomy = parseYaml(readFileSync(TAXONOMY, "utf8"));
    expect((await t.api({ method: "PUT", url: "/api/taxonomy", payload: taxonomy })).statusCode).toBe(200);
    for (let i = 0; i < 20; i++) expect((await put(`before-${i}`)).statusCode).toBe(201);
    await drain();

    const [{ page_count: pages }] = (await pragma("page_count")) as [{ page_count: number }];
    await pragma(`max_page_count = ${pages}`);

    // Writes until the database would have to grow: each is refused whole, with the catalog's 507.
    const accepted: string[] = [];
    let refused: { id: string; body: { error: { code: string; message: string } } } | undefined;
    for (let i = 0; i < 200 && refused === undefined; i++) {
      const res = await put(`during-${i}`);
      if (res.statusCode === 201) accepted.push(`during-${i}`);
      else {
        expect(res.statusCode, res.body).toBe(507);
        refused = { id: `during-${i}`, body: res.json() };
      }
    }
    expect(refused?.body.error.code).toBe("storage_full");
    expect(refused?.body.error.message).toMatch(/out of space/);
    if (refused === undefined) throw new Error("the database never filled up");
    // Nothing half-written: the refused conversation does not exist, not even as a message.
    expect((await t.api({ method: "GET", url: `/api/conversations/${refused.id}` })).statusCode).toBe(404);
    const stray = await t.database.db
      .selectFrom("messages")
      .select("id")
      .where("key", "like", `%${refused.id}%`)
      .execute();
    expect(stray).toEqual([]);

    // Reads keep working, and so does everything an operator looks at.
    const list = await t.api({ method: "GET", url: "/api/conversations?limit=1000" });
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toHaveLength(20 + accepted.length);
    expect(
      (await t.api({ method: "GET", url: "/api/conversations/before-0" })).json().labels.length,
    ).toBeGreaterThan(0);
    expect((await t.api({ method: "GET", url: "/api/labels/stats" })).statusCode).toBe(200);
    expect((await t.app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
    // A tick while full is refused the same way (or finds room), never a 500.
    expect([200, 507]).toContain((await t.api({ method: "POST", url: "/api/tick/runners" })).statusCode);

    // Space freed: the same write succeeds and the runners catch up on everything.
    await pragma("max_page_count = 1073741823");
    expect((await put(refused.id)).statusCode).toBe(201);
    await drain();
    const ids = ["before-0", ...accepted, refused.id];
    for (const id of ids) {
      const res = await t.api({ method: "GET", url: `/api/conversations/${id}` });
      expect(
        res.json().labels.map((l: { name: string }) => l.name),
        id,
      ).toContain("billing/refund");
    }
    const pending = await t.database.db
      .selectFrom("messages")
      .select("id")
      .where("state", "in", ["pending", "running", "failed"])
      .execute();
    expect(pending).toEqual([]);
  });
});
