import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { INGEST_TOKEN } from "../helpers/app.js";
import { BACKENDS } from "../helpers/db.js";
import {
  type AppInBrowser,
  describeBrowser,
  expectSoundPage,
  openApp,
  screenshot,
  signIn,
} from "./harness.js";

type Params = Record<string, string>;

/** The `type:id` of every item of one page of GET /api/items. */
async function apiPage(
  a: AppInBrowser,
  params: Params,
  limit = 50,
): Promise<{ ids: string[]; next: string | null }> {
  const res = await a.t.api({ method: "GET", url: "/api/items", query: { ...params, limit: String(limit) } });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json() as { items: { type: string; id: string }[]; next_cursor: string | null };
  return { ids: body.items.map((i) => `${i.type}:${i.id}`), next: body.next_cursor };
}

/** Every item of a filter, walked through the API's own cursor. */
async function apiAll(a: AppInBrowser, params: Params): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { ids: string[]; next: string | null } = await apiPage(
      a,
      cursor === null ? params : { ...params, cursor },
      1000,
    );
    ids.push(...page.ids);
    cursor = page.next;
  } while (cursor !== null);
  return ids;
}

/** The rows the page shows, once its answer for the current URL is in (null while busy). */
function shownIds(page: Page): Promise<string[] | null> {
  return page.evaluate(() => {
    const results = document.querySelector(".items-results");
    if (results?.getAttribute("aria-busy") !== "false") return null;
    if (results.querySelector("[data-empty]")) return [];
    const rows = [...results.querySelectorAll<HTMLElement>("table.items-table tbody tr")];
    return rows.length === 0 ? null : rows.map((r) => `${r.dataset.type}:${r.dataset.id}`);
  });
}

const expectShown = (page: Page, ids: string[]) =>
  expect.poll(() => shownIds(page), { timeout: 15_000 }).toEqual(ids);

/** The runners have labelled everything queued: the label filters' answers hold still. */
async function settled(a: AppInBrowser): Promise<number> {
  const row = await a.t.database.db
    .selectFrom("messages")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("state", "in", ["pending", "running"])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      record.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      i++;
    } else field += c;
  }
  if (field !== "" || record.length > 0) records.push([...record, field]);
  return records;
}

async function download(page: Page, name: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name }).click()]);
  const path = await file.path();
  return readFileSync(path, "utf8");
}

describeBrowser.each(BACKENDS)("the Items list on %s", (backend) => {
  let a: AppInBrowser;
  /** Two labels some items carry together, and a word some items contain. */
  let pair: [string, string];
  const word = "refund";

  beforeAll(async () => {
    a = await openApp(backend);
    // expect.poll is for tests only; the wait here is bounded by the hook's timeout.
    while ((await settled(a)) > 0) await new Promise((resolve) => setTimeout(resolve, 250));
    const stats = (await a.t.api({ method: "GET", url: "/api/labels/stats" })).json() as {
      labels: { name: string; conversations: number; notes: number }[];
    };
    const names = stats.labels
      .sort((x, y) => y.conversations + y.notes - (x.conversations + x.notes))
      .map((l) => l.name);
    let best: { pair: [string, string]; n: number } | undefined;
    for (let i = 0; i < names.length && !best; i++) {
      for (let j = i + 1; j < names.length; j++) {
        const pairOf: [string, string] = [names[i] as string, names[j] as string];
        const n = (await apiAll(a, { labels: pairOf.join(","), label_mode: "all" })).length;
        if (n >= 2) {
          best = { pair: pairOf, n };
          break;
        }
      }
    }
    if (!best) throw new Error("no two labels of the sample share two items");
    pair = best.pair;
  }, 60_000);
  afterAll(() => a?.close());

  it("filters by two labels (all of) and by a search word, showing what the API answers", async () => {
    const { page } = a;
    await page.goto(`${a.origin}/items`);
    await expectSoundPage(page, "Items");
    await expectShown(page, (await apiPage(a, {})).ids);

    await page.getByLabel("Label name", { exact: true }).fill(pair[0]);
    await page.getByRole("button", { name: "Add label" }).click();
    await page.getByLabel("Label name", { exact: true }).fill(pair[1]);
    await page.getByLabel("Label name", { exact: true }).press("Enter");
    await page.getByRole("radio", { name: "All of" }).check();
    await page.getByRole("button", { name: "Apply filters" }).click();
    const byLabels = { labels: pair.join(","), label_mode: "all" };
    const labelled = (await apiPage(a, byLabels)).ids;
    expect(labelled.length).toBeGreaterThanOrEqual(2);
    await expectShown(page, labelled);
    expect(new URL(page.url()).searchParams.get("labels")).toBe(pair.join(","));
    // Each row shows the chosen labels as chips.
    const firstRow = page.locator("table.items-table tbody tr").first();
    for (const name of pair)
      await expect(firstRow.locator(".chip", { hasText: name }).count()).resolves.toBe(1);

    // Any of is a wider net; the labels stay chosen.
    await page.getByRole("radio", { name: "Any of" }).check();
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expectShown(page, (await apiPage(a, { ...byLabels, label_mode: "any" })).ids);
    await screenshot(page, "items");

    // A search word, with the labels removed.
    for (const name of pair) await page.getByRole("button", { name: `Remove label ${name}` }).click();
    await page.getByLabel("Search subject and messages").fill(word);
    await page.getByRole("button", { name: "Apply filters" }).click();
    const searched = (await apiPage(a, { q: word })).ids;
    expect(searched.length).toBeGreaterThan(0);
    await expectShown(page, searched);
    await expectSoundPage(page, "Items");

    // Back restores the previous view, its filters in the form too.
    await page.goBack();
    await expectShown(page, (await apiPage(a, { ...byLabels, label_mode: "any" })).ids);
    expect(await page.getByRole("radio", { name: "Any of" }).isChecked()).toBe(true);
    expect(await page.getByLabel("Search subject and messages").inputValue()).toBe("");
    await page.goBack();
    await expectShown(page, labelled);
    expect(a.pageErrors).toEqual([]);
  });

  it("reproduces a view from its URL in a new page", async () => {
    const { page } = a;
    await page.goto(`${a.origin}/items`);
    await page.getByLabel("Search subject and messages").fill(word);
    await page.getByLabel("Type").selectOption("conversations");
    await page.getByLabel("Per page").selectOption("25");
    await page.getByRole("button", { name: "Apply filters" }).click();
    const expected = (await apiPage(a, { q: word, type: "conversations" }, 25)).ids;
    await expectShown(page, expected);

    const copy = await a.context.newPage();
    await copy.goto(page.url());
    await expectShown(copy, expected);
    expect(await copy.getByLabel("Search subject and messages").inputValue()).toBe(word);
    expect(await copy.getByLabel("Type").inputValue()).toBe("conversations");
    await copy.close();
  });

  it("exports the current filter as CSV and NDJSON, the same items as the API lists", async () => {
    const { page } = a;
    const params = { labels: pair[0], q: word };
    await page.goto(`${a.origin}/items?labels=${encodeURIComponent(pair[0])}&q=${word}`);
    const expected = await apiAll(a, params);
    await expectShown(page, expected.slice(0, 50));

    const csv = parseCsv(await download(page, "Export CSV"));
    expect(csv[0]).toEqual(["type", "id", "updated_at", "labels", "text"]);
    expect(csv.slice(1).map((r) => `${r[0]}:${r[1]}`)).toEqual(expected);
    for (const r of csv.slice(1)) expect((r[3] ?? "").split("|")).toContain(pair[0]);

    const lines = (await download(page, "Export NDJSON")).split("\n").filter((l) => l !== "");
    const items = lines.map((l) => JSON.parse(l) as { type: string; id: string; labels: { name: string }[] });
    expect(items.map((i) => `${i.type}:${i.id}`)).toEqual(expected);
    const listed = (
      await a.t.api({ method: "GET", url: "/api/items", query: { ...params, limit: "1000" } })
    ).json().items as { labels: { name: string }[] }[];
    expect(items.map((i) => i.labels.map((l) => l.name))).toEqual(
      listed.map((i) => i.labels.map((l) => l.name)),
    );
  });

  it("walks every item of a filter page by page, without repeats, and back", async () => {
    const { page } = a;
    const expected = await apiAll(a, { type: "conversations" });
    expect(expected.length).toBeGreaterThan(100);
    await page.goto(`${a.origin}/items?type=conversations&limit=100`);
    const seen: string[][] = [];
    for (;;) {
      await expect.poll(() => shownIds(page), { timeout: 15_000 }).not.toBeNull();
      const ids = await shownIds(page);
      if (ids === null) throw new Error("the page is busy again");
      seen.push(ids);
      const next = page.getByRole("link", { name: "Next page" });
      if ((await next.count()) === 0) break;
      const before = page.url();
      await next.click();
      await page.waitForURL((u) => u.href !== before);
      await expect.poll(() => shownIds(page)).not.toEqual(ids);
    }
    const flat = seen.flat();
    expect(new Set(flat).size).toBe(flat.length);
    expect(flat).toEqual(expected);
    const first = 100 * (seen.length - 1) + 1;
    expect(await page.getByText(`Items ${first}–${expected.length}`).count()).toBe(1);

    await page.getByRole("link", { name: "Previous page" }).click();
    await expectShown(page, seen[seen.length - 2] as string[]);
    // The browser's Back goes the same way.
    await page.goBack();
    await expectShown(page, seen[seen.length - 1] as string[]);
    expect(a.pageErrors).toEqual([]);
  });

  it("shows a hostile conversation and note as text: nothing runs, the layout holds", async () => {
    const { page } = a;
    const subject = `<img src=x onerror="window.__pwned=1">`;
    const id = `x/../<b>?#\u202Ehostile`;
    const put = await a.t.api({
      method: "PUT",
      url: `/api/conversations/${encodeURIComponent(id)}`,
      payload: {
        subject,
        messages: [
          { role: "customer", text: `${"W".repeat(100_000)}` },
          { role: "customer", text: "<script>window.__pwned=1</script> zebrahostile" },
          { role: "agent", text: "javascript:alert(1)" },
          { role: "customer", text: "\u202Etxt.exe zebrahostile" },
        ],
      },
    });
    expect(put.statusCode, put.body).toBe(201);
    const note = await a.t.api({
      method: "POST",
      url: "/api/notes/hostile-note/versions",
      payload: {
        text: `<script>window.__pwned=1</script> javascript:alert(1) \u202Ezebrahostile ${"y".repeat(100_000)}`,
      },
    });
    expect(note.statusCode, note.body).toBeLessThan(300);

    await page.goto(`${a.origin}/items?q=zebrahostile`);
    const expected = (await apiPage(a, { q: "zebrahostile" })).ids;
    expect(expected.sort()).toEqual([`conversation:${id}`, "note:hostile-note"]);
    await expect.poll(async () => ((await shownIds(page)) ?? []).sort()).toEqual(expected);

    const table = page.locator("table.items-table");
    await expect(table.getByText(subject, { exact: false }).count()).resolves.toBe(1);
    await expect(
      table.getByText("<script>window.__pwned=1</script>", { exact: false }).count(),
    ).resolves.toBe(1);
    expect(await table.locator("img, script, b").count()).toBe(0);
    const link = table.getByRole("link", { name: id, exact: true });
    expect(await link.getAttribute("href")).toBe(`/items/conversation/${encodeURIComponent(id)}`);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

    // The layout holds: no sideways scrolling, the export links and the pager still in view.
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      view: document.documentElement.clientWidth,
    }));
    expect(widths.page).toBeLessThanOrEqual(widths.view);
    expect(await page.getByRole("link", { name: "Export CSV" }).isVisible()).toBe(true);
    const rowHeight = await table
      .locator("tbody tr")
      .first()
      .evaluate((r) => r.getBoundingClientRect().height);
    expect(rowHeight).toBeLessThan(200);
    await page.setViewportSize({ width: 1024, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1024);
    await page.setViewportSize({ width: 1280, height: 900 });

    await link.click();
    await page.waitForURL((u) => u.pathname === `/items/conversation/${encodeURIComponent(id)}`);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(a.pageErrors).toEqual([]);
  });

  it("suggests label names to an ingest token from the labels it can read", async () => {
    const context = await a.browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await signIn(page, a.origin, INGEST_TOKEN);
    await page.goto(`${a.origin}/items?labels=${encodeURIComponent(pair[0])}`);
    await expectShown(page, (await apiPage(a, { labels: pair[0] })).ids);
    await expect.poll(() => page.locator("#items-label-names option").count()).toBeGreaterThan(0);
    expect(await page.locator(`#items-label-names option[value="${pair[1]}"]`).count()).toBe(1);
    await expectSoundPage(page, "Items");
    expect(errors).toEqual([]);
    await context.close();
  });
});
