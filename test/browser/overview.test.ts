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

interface ApiOverview {
  totals: Record<"conversations" | "notes" | "all", { items: number; labeled: number; unlabeled: number }>;
  labels: {
    name: string;
    items: number;
    conversations: Record<"rule" | "model" | "llm" | "manual", number>;
    notes: Record<"rule" | "model" | "llm" | "manual", number>;
  }[];
  queues: { topic: string; pending: number; running: number; failed: number }[];
  jobs: { id: number; total: number; done: number; failed: number; skipped: number }[];
}

/** The page polls every 3 s (the trend every 5 s): wait a few rounds. */
const LIVE = { timeout: 15_000, interval: 250 };

const number = (text: string | null) => Number((text ?? "").replace(/[^\d]/g, ""));

/** The totals and the label rows as the page shows them. */
async function pageCounts(page: Page) {
  const totals: Record<string, number> = {};
  for (const term of ["Conversations", "Notes", "Labeled", "Unlabeled"]) {
    totals[term] = number(await page.locator(`dd[data-total="${term}"]`).textContent());
  }
  const labels = await page.locator("table.overview-labels tbody tr").evaluateAll((rows) =>
    rows.map((row) => {
      const cell = (name: string) => row.querySelector(`[data-count="${name}"]`)?.textContent ?? "";
      return {
        name: row.querySelector("th a")?.textContent ?? "",
        href: row.querySelector("th a")?.getAttribute("href") ?? "",
        cells: { items: cell("items"), rule: cell("rule"), model: cell("model"), manual: cell("manual") },
      };
    }),
  );
  return {
    totals,
    labels: labels.map((l) => ({
      name: l.name,
      href: l.href,
      items: number(l.cells.items),
      rule: number(l.cells.rule),
      model: number(l.cells.model),
      manual: number(l.cells.manual),
    })),
  };
}

/** What the page should show, from the API's own answer. */
function expectedCounts(o: ApiOverview) {
  const both = (l: ApiOverview["labels"][number], s: "rule" | "model" | "manual") =>
    l.conversations[s] + l.notes[s];
  return {
    totals: {
      Conversations: o.totals.conversations.items,
      Notes: o.totals.notes.items,
      Labeled: o.totals.all.labeled,
      Unlabeled: o.totals.all.unlabeled,
    },
    labels: o.labels.map((l) => ({
      name: l.name,
      href: `/items?labels=${encodeURIComponent(l.name)}`,
      items: l.items,
      rule: both(l, "rule"),
      model: both(l, "model"),
      manual: both(l, "manual"),
    })),
  };
}

describeBrowser.each(BACKENDS)("the Overview on %s", (backend) => {
  let a: AppInBrowser;
  // Runners are ticked by the test, not running in the background: the queue and
  // the jobs hold still between ticks, so what the page shows can be pinned down.
  const overview = async () =>
    (await a.t.api({ method: "GET", url: "/api/internal/overview" })).json() as ApiOverview;
  const tick = async (maxMessages = 10_000) =>
    (
      await a.t.api({ method: "POST", url: `/api/tick/runners?max_messages=${maxMessages}&max_ms=20000` })
    ).json() as { remaining: number };
  const drain = async () => {
    while ((await tick()).remaining > 0) {}
  };

  beforeAll(async () => {
    a = await openApp(backend, { runners: false });
    await drain();
  }, 60_000);
  afterAll(() => a?.close());

  it("shows the API's totals and every label's items by source, each label linking to its items", async () => {
    await a.page.goto(`${a.origin}/`);
    await expectSoundPage(a.page, "Overview");
    await a.page.getByRole("button", { name: /Show all \d+ labels/ }).click();
    const api = await overview();
    expect(api.labels.length).toBeGreaterThan(15);
    await expect.poll(() => pageCounts(a.page), LIVE).toEqual(expectedCounts(api));
    const first = api.labels[0]?.name ?? "";
    await a.page.getByRole("link", { name: first, exact: true }).click();
    await a.page.getByRole("heading", { level: 1, name: "Items" }).waitFor();
    expect(new URL(a.page.url()).searchParams.get("labels")).toBe(first);
    expect(a.pageErrors).toEqual([]);
  });

  it("updates the counts and the queue live, without reloading the page", async () => {
    await a.page.goto(`${a.origin}/`);
    await a.page.getByRole("heading", { name: "Queue health" }).waitFor();
    await a.page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 1;
    });
    const before = await overview();
    const put = await a.t.api({
      method: "PUT",
      url: "/api/conversations/c-overview-live",
      payload: { subject: "Refund please", messages: [{ role: "customer", text: "I want a refund." }] },
    });
    expect(put.statusCode).toBe(201);
    const conversations = a.page.locator('dd[data-total="Conversations"]');
    await expect
      .poll(async () => number(await conversations.textContent()), LIVE)
      .toBe(before.totals.conversations.items + 1);
    // Its analysis message waits in the queue until the runners are ticked.
    const pending = a.page.locator('tr[data-topic="conversation_note_analysis"] [data-count="pending"]');
    await expect.poll(async () => number(await pending.textContent()), LIVE).toBe(1);
    await drain();
    await expect.poll(async () => number(await pending.textContent()), LIVE).toBe(0);
    // The top 15 labels are shown until "Show all" is pressed.
    const after = expectedCounts(await overview());
    await expect
      .poll(async () => pageCounts(a.page), LIVE)
      .toEqual({ totals: after.totals, labels: after.labels.slice(0, 15) });
    expect(await a.page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    expect(a.pageErrors).toEqual([]);
  });

  it("shows a running job's progress as the API reports it, linking to the job", async () => {
    const started = await a.t.api({ method: "POST", url: "/api/internal/labels/reanalysis?from=2000-01-01" });
    expect(started.statusCode).toBe(202);
    const id = started.json().id as number;
    await a.page.goto(`${a.origin}/`);
    const link = a.page.getByRole("link", { name: `Job ${id}`, exact: true });
    await link.waitFor();
    expect(await link.getAttribute("href")).toBe(`/jobs/${id}`);
    const bar = a.page.getByRole("progressbar", { name: `Job ${id} progress` });
    // Part of the work: the bar follows the API's count of finished items.
    await tick(50);
    await tick(50);
    const job = (await overview()).jobs.find((j) => j.id === id);
    expect(job?.total).toBeGreaterThan(0);
    const finished = (job?.done ?? 0) + (job?.failed ?? 0) + (job?.skipped ?? 0);
    await expect.poll(() => bar.getAttribute("value"), LIVE).toBe(String(finished));
    expect(await bar.getAttribute("max")).toBe(String(job?.total));
    await drain();
    await a.page.getByText("No job is running.").waitFor();
    expect(a.pageErrors).toEqual([]);
  });

  it("charts the chosen labels over the chosen range, with the same numbers in a table", async () => {
    await a.page.goto(`${a.origin}/`);
    await a.page.getByLabel("From").fill("2026-09-20");
    await a.page.getByLabel("Until").fill("2026-11-30");
    const api = await overview();
    const top = api.labels.slice(0, 5).map((l) => l.name);
    const chart = a.page.getByRole("img", { name: /^Items per label per day/ });
    await expect
      .poll(async () => chart.getAttribute("aria-label"), LIVE)
      .toContain("2026-09-20 to 2026-11-30");
    expect(await chart.locator("canvas").count()).toBeGreaterThan(0);
    // Drop the top label, add the sixth: the chart follows the picked labels.
    await a.page.getByRole("checkbox", { name: top[0] ?? "", exact: true }).uncheck();
    const sixth = api.labels[5]?.name ?? "";
    await a.page.getByRole("checkbox", { name: sixth, exact: true }).check();
    const picked = [...top.slice(1), sixth];
    await expect
      .poll(async () => chart.getAttribute("aria-label"), LIVE)
      .toMatch(new RegExp(`: ${picked.join(", ")}$`));
    const trend = (
      await a.t.api({
        method: "GET",
        url: `/api/labels/trend?labels=${encodeURIComponent(picked.join(","))}&from=2026-09-20&until=2026-11-30`,
      })
    ).json() as { series: { label: string; total: number }[] };
    await a.page.getByText("The trend as a table").click();
    const totals = a.page.locator(".trend-table tfoot td");
    await expect
      .poll(async () => (await totals.allTextContents()).map(number), LIVE)
      .toEqual(trend.series.map((s) => s.total));
    expect(trend.series.some((s) => s.total > 0)).toBe(true);
    await expectSoundPage(a.page, "Overview");
    await a.page.getByText("The trend as a table").click();
    await a.page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(a.page, "overview");
    expect(a.pageErrors).toEqual([]);
  });

  it("shows an ingest token the totals and labels, but no queue or jobs", async () => {
    const page = await (await a.browser.newContext()).newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await signIn(page, a.origin, INGEST_TOKEN);
    await expectSoundPage(page, "Overview");
    await page.getByRole("heading", { name: "Label distribution" }).waitFor();
    await expect
      .poll(() => pageCounts(page).then((c) => c.totals), LIVE)
      .toEqual(expectedCounts(await overview()).totals);
    expect(await page.getByRole("heading", { name: "Queue health" }).count()).toBe(0);
    expect(await page.getByRole("heading", { name: "Running jobs" }).count()).toBe(0);
    await page
      .getByRole("img", { name: /^Items per label/ })
      .locator("canvas")
      .first()
      .waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
