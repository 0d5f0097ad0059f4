import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_BATCH_TEXT } from "../src/analysis/load.js";
import { ERRORS } from "../src/errors.js";
import { importFile, type Rejection } from "../src/items/import.js";
import { itemBytes, MAX_ITEM_BYTES, MAX_ITEM_RAW_BYTES } from "../src/items/size.js";
import { drain } from "../src/runners/drain.js";
import { freshApp, type TestApp } from "./helpers/app.js";
import { runCli } from "./helpers/cli.js";
import { BACKENDS } from "./helpers/db.js";

/**
 * Issue 19 item 8: one size limit per item, the same on every path in. A
 * conversation that imports can be PUT (and updated) over HTTP, and one the
 * API refuses is refused by an import with the same code.
 */
const MiB = 1024 * 1024;

/** A conversation body of about `bytes` as compact JSON, in messages of 90,000 characters. */
function conversationOf(bytes: number, word = "refund") {
  const text = `${word} ${"x".repeat(90_000 - word.length - 1)}`;
  const count = Math.ceil(bytes / 90_050);
  return {
    subject: "big thread",
    messages: Array.from({ length: count }, (_, i) => ({ role: i % 2 ? "agent" : "customer", text })),
  };
}

describe("the item limit", () => {
  it("is one constant, said in the catalog, and fits an analysis batch", () => {
    expect(MAX_ITEM_BYTES).toBe(4 * MiB);
    expect(ERRORS.item_too_large).toMatchObject({ status: 413 });
    expect(ERRORS.item_too_large.message).toContain("4 MiB");
    // An item's text is never longer than its JSON: any item fits a batch.
    expect(MAX_ITEM_BYTES).toBeLessThanOrEqual(MAX_BATCH_TEXT);
  });
});

describe.each(BACKENDS)("the item limit on %s", (backend) => {
  let t: TestApp;
  let dir: string;
  beforeEach(async () => {
    t = await freshApp(backend);
    dir = mkdtempSync(join(tmpdir(), "relabel-item-size-"));
    await t.api({
      method: "PUT",
      url: "/api/taxonomy",
      payload: { labels: [{ name: "billing/refund", rules: { keywords: ["refund"] } }] },
    });
  });
  afterEach(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function importLines(lines: object[]): Promise<{ rejected: Rejection[]; imported: number }> {
    const path = join(dir, `import-${Math.random().toString(36).slice(2)}.ndjson`);
    writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
    const rejected: Rejection[] = [];
    const counts = await importFile(t.database, t.runtime, path, { onRejected: (r) => rejected.push(r) });
    return { rejected, imported: counts.conversations + counts.note_versions };
  }

  it("a 2.1 MB conversation: imported, then updated over HTTP, and analyzed", async () => {
    const body = conversationOf(2.1e6);
    expect(itemBytes(body)).toBeGreaterThan(2 * MiB);
    const imported = await importLines([{ type: "conversation", fs_id: "big", ...body }]);
    expect(imported).toEqual({ rejected: [], imported: 1 });
    // The same body over HTTP (it was a 413 body_too_large): an update, and a new one.
    const put = await t.api({ method: "PUT", url: "/api/conversations/big", payload: body });
    expect(put.statusCode, put.body.slice(0, 300)).toBe(200);
    const created = await t.api({ method: "PUT", url: "/api/conversations/big-2", payload: body });
    expect(created.statusCode, created.body.slice(0, 300)).toBe(201);
    await drain(t.runtime, () => {});
    const read = (await t.api({ method: "GET", url: "/api/conversations/big-2" })).json();
    expect(read.labels.map((l: { name: string }) => l.name)).toEqual(["billing/refund"]);
  });

  it("an item just within the limit goes in every way; just over it, every way refuses it alike", async () => {
    const within = conversationOf(MAX_ITEM_BYTES - 200_000);
    // Metadata padding makes the item exactly as large as the limit.
    const pad = MAX_ITEM_BYTES - itemBytes({ ...within, metadata: { pad: "" } });
    const exact = { ...within, metadata: { pad: "p".repeat(pad) } };
    expect(itemBytes(exact)).toBe(MAX_ITEM_BYTES);
    const over = { ...within, metadata: { pad: "p".repeat(pad + 1) } };

    expect((await t.api({ method: "PUT", url: "/api/conversations/exact", payload: exact })).statusCode).toBe(
      201,
    );
    const refused = await t.api({ method: "PUT", url: "/api/conversations/over", payload: over });
    expect(refused.statusCode).toBe(413);
    expect(refused.json().error).toMatchObject({
      code: "item_too_large",
      details: { limit_bytes: MAX_ITEM_BYTES, size_bytes: MAX_ITEM_BYTES + 1 },
    });
    expect(refused.json().error.message).toMatch(/at most 4 MiB/);

    const { rejected, imported } = await importLines([
      { type: "conversation", fs_id: "exact-line", ...exact },
      { type: "conversation", fs_id: "over-line", ...over },
    ]);
    expect(imported).toBe(1);
    expect(rejected).toEqual([{ line: 2, code: "item_too_large", message: refused.json().error.message }]);
    expect((await t.api({ method: "GET", url: "/api/conversations/over-line" })).statusCode).toBe(404);
    expect((await t.api({ method: "GET", url: "/api/conversations/over" })).statusCode).toBe(404);
  });

  it("note versions: the same limit, through POST and import", async () => {
    // 1,000,000 characters of 3 bytes each: 3 MB, within the limit (and over the old 1 MiB body limit).
    const text = "€".repeat(1_000_000);
    const posted = await t.api({ method: "POST", url: "/api/notes/n-1/versions", payload: { text } });
    expect(posted.statusCode, posted.body.slice(0, 300)).toBe(201);
    const over = { text: "short", metadata: { pad: "x".repeat(MAX_ITEM_BYTES) } };
    const refused = await t.api({ method: "POST", url: "/api/notes/n-2/versions", payload: over });
    expect(refused.statusCode).toBe(413);
    expect(refused.json().error.code).toBe("item_too_large");
    const { rejected, imported } = await importLines([
      { type: "note", note_id: "n-3", text },
      { type: "note", note_id: "n-4", ...over },
    ]);
    expect(imported).toBe(1);
    expect(rejected.map((r) => [r.line, r.code])).toEqual([[2, "item_too_large"]]);
  });

  it("measures the item, not its spelling: escapes and whitespace do not count", async () => {
    // A million Cyrillic letters: 2 MB as UTF-8, 6 MB as sent with \\u escapes (as Python's json.dumps sends them).
    const text = "д".repeat(1_000_000);
    const escaped = JSON.stringify({ text }).replace(/д/g, "\\u0434");
    expect(Buffer.byteLength(escaped)).toBeGreaterThan(MAX_ITEM_BYTES);
    const posted = await t.api({
      method: "POST",
      url: "/api/notes/esc/versions",
      payload: escaped,
      headers: { "content-type": "application/json" },
    });
    expect(posted.statusCode, posted.body.slice(0, 300)).toBe(201);
    const path = join(dir, "escaped.ndjson");
    writeFileSync(path, `${escaped.replace("{", '{"type":"note","note_id":"esc-line",')}\n`);
    expect((await importFile(t.database, t.runtime, path)).note_versions).toBe(1);
    // Past three times the limit as sent, nothing can be within it: refused unread, with the same code.
    const padded = `${" ".repeat(MAX_ITEM_RAW_BYTES)}{"text":"x"}`;
    const refused = await t.api({
      method: "POST",
      url: "/api/notes/pad/versions",
      payload: padded,
      headers: { "content-type": "application/json" },
    });
    expect(refused.statusCode).toBe(413);
    expect(refused.json().error.code).toBe("item_too_large");
  });

  it.runIf(backend === "sqlite")("relabel import names the line and the code", async () => {
    const path = join(dir, "cli.ndjson");
    const over = {
      type: "note",
      note_id: "cli-over",
      text: "x",
      metadata: { pad: "x".repeat(MAX_ITEM_BYTES) },
    };
    writeFileSync(
      path,
      `${JSON.stringify({ type: "note", note_id: "cli-ok", text: "fine" })}\n${JSON.stringify(over)}\n`,
    );
    const r = await runCli(["import", path], { DATABASE_URL: t.url });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^line 2: rejected: An item .* at most 4 MiB .*\(item_too_large\)$/m);
    expect(r.stdout).toMatch(/imported 0 conversations and 1 note versions/);
  });
});
