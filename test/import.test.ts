import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getConversation } from "../src/items/conversations.js";
import { importFile, type Rejection } from "../src/items/import.js";
import { getNote, getNoteVersion } from "../src/items/notes.js";
import { freshRuntime, type TestRuntime } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";

function ndjson(lines: (object | string)[]): string {
  const dir = mkdtempSync(join(tmpdir(), "relabel-import-"));
  const path = join(dir, "items.ndjson");
  writeFileSync(path, lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n"));
  return path;
}

describe.each(BACKENDS)("import on %s", (backend) => {
  let f: TestRuntime;
  beforeEach(async () => {
    f = await freshRuntime(backend);
  });
  afterEach(() => f.cleanup());

  it("imports good lines and reports each bad one by number without aborting the rest", async () => {
    const path = ndjson([
      { type: "conversation", fs_id: "c1", subject: "Hi", messages: [{ role: "customer", text: "hello" }] },
      "{not json",
      { type: "note", note_id: "n1", text: "v1" },
      { type: "conversation", fs_id: "", subject: "empty id" },
      { type: "note", note_id: "n1", text: "v2", created_at: "2026-02-30" },
      { type: "note", note_id: "n1", text: "v2" },
      "",
      { type: "ticket", id: "x" },
      { type: "conversation", fs_id: "c2", extra: true },
      { type: "note", note_id: "n2", text: "x", version: 3 },
      { type: "conversation", fs_id: "c3", updated_at: "2026-01-01T00:00:00Z" },
    ]);
    const rejected: Rejection[] = [];
    const counts = await importFile(f.database, f.runtime, path, {
      batchSize: 3,
      onRejected: (r) => rejected.push(r),
    });
    expect(counts).toMatchObject({ conversations: 2, note_versions: 2, skipped: 0, rejected: 6 });
    expect(rejected.map((r) => r.line)).toEqual([2, 4, 5, 8, 9, 10]);
    expect(rejected.find((r) => r.line === 5)?.message).toMatch(/created_at.*no day 30/);
    expect(rejected.find((r) => r.line === 10)?.message).toMatch(/gap/);
    expect((await getConversation(f.database.db, "c1")).messages[0]?.text).toBe("hello");
    expect((await getConversation(f.database.db, "c3")).updated_at).toBe("2026-01-01T00:00:00.000Z");
    expect(await getNote(f.database.db, "n1")).toMatchObject({ latest_version: 2, text: "v2" });
    await expect(getNote(f.database.db, "n2")).rejects.toMatchObject({ code: "note_not_found" });
  });

  it("is safe to run twice: existing versions with the same text are skipped, other text is rejected", async () => {
    const lines = [
      { type: "note", note_id: "n", version: 1, text: "one" },
      { type: "note", note_id: "n", version: 2, text: "two" },
      { type: "note", note_id: "m", text: "only" },
      { type: "conversation", fs_id: "c", subject: "s", updated_at: "2026-01-01T00:00:00Z" },
    ];
    expect(await importFile(f.database, f.runtime, ndjson(lines))).toMatchObject({
      note_versions: 3,
      conversations: 1,
    });
    expect(await importFile(f.database, f.runtime, ndjson(lines))).toMatchObject({
      note_versions: 0,
      skipped: 3,
      rejected: 0,
    });
    expect((await getNote(f.database.db, "n")).latest_version).toBe(2);
    expect((await getNote(f.database.db, "m")).latest_version).toBe(1);

    const rejected: Rejection[] = [];
    const counts = await importFile(
      f.database,
      f.runtime,
      ndjson([{ type: "note", note_id: "n", version: 1, text: "changed" }]),
      {
        onRejected: (r) => rejected.push(r),
      },
    );
    expect(counts.rejected).toBe(1);
    expect(rejected[0]?.message).toMatch(/already exists with other text/);
    expect((await getNoteVersion(f.database.db, "n", 1)).text).toBe("one");
  });

  it("re-imports notes without versions idempotently: a line identical to any version is skipped, in any order", async () => {
    const lines = [
      { type: "note", note_id: "n", text: "first" },
      { type: "note", note_id: "n", text: "second" },
      { type: "note", note_id: "n", text: "second", metadata: { source: "crm" } },
    ];
    expect((await importFile(f.database, f.runtime, ndjson(lines))).note_versions).toBe(3);
    // Again, reordered, and a half of it as an import killed midway would have left it.
    for (const again of [lines, [...lines].reverse(), lines.slice(0, 1)]) {
      expect(await importFile(f.database, f.runtime, ndjson(again))).toMatchObject({
        note_versions: 0,
        skipped: again.length,
      });
    }
    expect((await getNote(f.database.db, "n")).latest_version).toBe(3);
    expect(
      await f.database.db.selectFrom("messages").select("id").where("state", "=", "pending").execute(),
    ).toHaveLength(3);
    // A new text is a new version, wherever it appears in the file.
    const counts = await importFile(
      f.database,
      f.runtime,
      ndjson([{ type: "note", note_id: "n", text: "third" }, ...lines]),
    );
    expect(counts).toMatchObject({ note_versions: 1, skipped: 3 });
    expect(await getNote(f.database.db, "n")).toMatchObject({ latest_version: 4, text: "third" });
  });

  it("re-imports a note written before fingerprints (no content_hash) without duplicating it", async () => {
    const path = ndjson([{ type: "note", note_id: "legacy", text: "hello" }]);
    expect((await importFile(f.database, f.runtime, path)).note_versions).toBe(1);
    // As migration 0008 left the versions written before it.
    await f.database.db.updateTable("note_versions").set({ content_hash: null }).execute();
    expect(await importFile(f.database, f.runtime, path)).toMatchObject({ note_versions: 0, skipped: 1 });
    expect((await getNote(f.database.db, "legacy")).latest_version).toBe(1);
  });
});
