import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freshApp, type TestApp } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";

describe.each(BACKENDS)("notes on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend);
  });
  afterEach(() => t.cleanup());

  const append = (noteId: string, payload: object) =>
    t.api({ method: "POST", url: `/api/notes/${encodeURIComponent(noteId)}/versions`, payload });

  it("appends immutable versions 1, 2, 3 and reads each back", async () => {
    const v1 = await append("n-1", {
      text: "first call",
      metadata: { agent: "ana" },
      created_at: "2026-02-01T10:00:00Z",
    });
    expect(v1.statusCode).toBe(201);
    expect(v1.json()).toEqual({
      note_id: "n-1",
      version: 1,
      text: "first call",
      metadata: { agent: "ana" },
      created_at: "2026-02-01T10:00:00.000Z",
    });
    expect((await append("n-1", { text: "second", created_at: "2026-02-02T10:00:00Z" })).json().version).toBe(
      2,
    );
    expect((await append("n-1", { text: "third" })).json().version).toBe(3);

    const latest = (await t.api({ method: "GET", url: "/api/notes/n-1" })).json();
    expect(latest).toMatchObject({
      note_id: "n-1",
      version: 3,
      latest_version: 3,
      text: "third",
      metadata: {},
      first_created_at: "2026-02-01T10:00:00.000Z",
      labels: [],
    });
    const v2 = await t.api({ method: "GET", url: "/api/notes/n-1/versions/2" });
    expect(v2.json()).toMatchObject({ version: 2, text: "second", created_at: "2026-02-02T10:00:00.000Z" });

    const missing = await t.api({ method: "GET", url: "/api/notes/n-1/versions/4" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({
      code: "note_version_not_found",
      details: { latest_version: 3 },
    });
    const noNote = await t.api({ method: "GET", url: "/api/notes/nope/versions/1" });
    expect(noNote.json().error.code).toBe("note_not_found");
  });

  it("lists notes by their latest version's created_at", async () => {
    await append("a", { text: "a1", created_at: "2026-01-01T00:00:00Z" });
    await append("b", { text: "b1", created_at: "2026-01-02T00:00:00Z" });
    await append("a", { text: "a2", created_at: "2026-01-03T00:00:00Z" });
    const all = (await t.api({ method: "GET", url: "/api/notes" })).json();
    expect(all.items.map((n: { note_id: string; version: number }) => [n.note_id, n.version])).toEqual([
      ["b", 1],
      ["a", 2],
    ]);
    const page1 = (await t.api({ method: "GET", url: "/api/notes?limit=1" })).json();
    expect(page1.items[0].note_id).toBe("b");
    const page2 = (
      await t.api({ method: "GET", url: `/api/notes?limit=1&cursor=${page1.next_cursor}` })
    ).json();
    expect(page2).toMatchObject({ items: [{ note_id: "a" }], next_cursor: null });
    const ranged = (await t.api({ method: "GET", url: "/api/notes?updated_until=2026-01-02" })).json();
    expect(ranged.items.map((n: { note_id: string }) => n.note_id)).toEqual(["b"]);
  });

  it("deletes a note with all its versions", async () => {
    await append("gone", { text: "x" });
    await append("gone", { text: "y" });
    expect((await t.api({ method: "DELETE", url: "/api/notes/gone" })).statusCode).toBe(204);
    expect((await t.api({ method: "GET", url: "/api/notes/gone" })).statusCode).toBe(404);
    const versions = await t.database.db.selectFrom("note_versions").selectAll().execute();
    expect(versions).toEqual([]);
    // A new note under the same id starts again at version 1.
    expect((await append("gone", { text: "z" })).json().version).toBe(1);
    expect((await t.api({ method: "DELETE", url: "/api/notes/never" })).statusCode).toBe(404);
  });

  it("numbers concurrent appends without gaps or duplicates", async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => append("busy", { text: `v${i}` })),
    );
    const versions = results.map((r) => r.json().version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});
