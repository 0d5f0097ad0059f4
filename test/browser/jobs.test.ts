import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SAMPLE_TAXONOMY } from "../../src/cli/sample.js";
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

interface Job {
  id: number;
  status: string;
  total: number;
  done: number;
  failed: number;
  skipped: number;
  items_changed: number;
  changes: { label: string; added: number; removed: number }[];
}

/** A label the sample taxonomy lacks, matching about half the sample: a re-label adds it. */
const EXTRA_LABEL = "test/thanks";
const TAXONOMY_PLUS = `${readFileSync(SAMPLE_TAXONOMY, "utf8")}
  - name: ${EXTRA_LABEL}
    description: The customer says thanks.
    rules:
      keywords: [thanks]
`;

async function getJob(a: AppInBrowser, id: number): Promise<Job> {
  return (await a.t.api({ method: "GET", url: `/api/internal/labels/reanalysis/${id}` })).json();
}

/** Starts a re-label from the Jobs page's form and returns the id of the job page it opens. */
async function startFromForm(page: Page, origin: string, from?: string): Promise<number> {
  await page.goto(`${origin}/jobs`);
  if (from !== undefined) await page.getByLabel("From").fill(from);
  await page.getByRole("button", { name: "Start re-label" }).click();
  await page.waitForURL(/\/jobs\/\d+$/);
  const id = Number(/\/jobs\/(\d+)$/.exec(page.url())?.[1]);
  await page.getByRole("heading", { level: 1, name: `Job ${id}` }).waitFor();
  return id;
}

async function ingestPage(a: AppInBrowser, path: string): Promise<Page> {
  const page = await (await a.browser.newContext()).newPage();
  await signIn(page, a.origin, INGEST_TOKEN);
  await page.goto(`${a.origin}${path}`);
  return page;
}

describeBrowser.each(BACKENDS)("the Jobs pages on %s", (backend) => {
  let a: AppInBrowser;
  beforeAll(async () => {
    a = await openApp(backend);
  }, 60_000);
  afterAll(() => a?.close());

  it("starts a re-label from the form and follows its progress bar to done", async () => {
    // The sample's own labeling first, so the job's runs are the job's alone.
    await expect
      .poll(
        async () => {
          const { topics } = (await a.t.api({ method: "GET", url: "/api/internal/pubsub/topics" })).json();
          return topics.reduce(
            (n: number, t: { pending: number; running: number }) => n + t.pending + t.running,
            0,
          );
        },
        { timeout: 50_000, interval: 250 },
      )
      .toBe(0);
    const put = await a.t.api({
      method: "PUT",
      url: "/api/taxonomy",
      payload: TAXONOMY_PLUS,
      headers: { "content-type": "application/yaml" },
    });
    expect(put.statusCode).toBe(200);
    await a.page.goto(`${a.origin}/jobs`);
    await expectSoundPage(a.page, "Jobs");
    // The runbook's defaults: 30 days ago, now, both types.
    const from = new Date(await a.page.getByLabel("From").inputValue()).getTime();
    const until = new Date(await a.page.getByLabel("Until").inputValue()).getTime();
    expect(Math.abs(until - Date.now())).toBeLessThan(5 * 60_000);
    expect(Math.round((until - from) / 86_400_000)).toBe(30);
    expect(await a.page.getByLabel("Type").inputValue()).toBe("");

    const id = await startFromForm(a.page, a.origin, "2026-01-01T00:00");
    const bar = a.page.getByRole("progressbar", { name: `Job ${id} progress` });
    await bar.waitFor();
    // The bar moves without a reload until the job is done.
    await a.page.locator('[data-status="done"]').waitFor({ timeout: 45_000 });
    const job = await getJob(a, id);
    expect(job.status).toBe("done");
    expect(job.total).toBeGreaterThan(100);
    const finished = job.done + job.failed + job.skipped;
    expect(await bar.getAttribute("value")).toBe(String(finished));
    expect(await bar.getAttribute("max")).toBe(String(job.total));
    await expect
      .poll(() => a.page.locator("[data-progress]").textContent())
      .toContain(
        `${finished.toLocaleString("en-US")} of ${job.total.toLocaleString("en-US")} items finished`,
      );

    // Per-label changes as the API counts them; the new label was added to many items.
    const extra = job.changes.find((c) => c.label === EXTRA_LABEL);
    expect(extra?.added).toBeGreaterThan(50);
    const rows = a.page.locator(".job-changes tbody tr");
    expect(await rows.count()).toBe(job.changes.length);
    for (const change of job.changes) {
      const row = a.page.locator(`.job-changes tr[data-label="${change.label}"]`);
      expect(await row.locator('[data-count="added"]').textContent()).toBe(
        change.added > 0 ? `+${change.added}` : "0",
      );
      expect(await row.locator('[data-count="removed"]').textContent()).toBe(
        change.removed > 0 ? `−${change.removed}` : "0",
      );
    }

    // The items it changed: the API's first page, each a link to the item's page.
    const items = (
      await a.t.api({ method: "GET", url: `/api/internal/labels/reanalysis/${id}/items?limit=50` })
    ).json().items as { type: string; id: string; added: string[] }[];
    expect(items.length).toBe(Math.min(50, job.items_changed));
    await expect.poll(() => a.page.locator(".job-items tbody tr").count()).toBe(items.length);
    const links = a.page.locator(".job-items tbody tr th a");
    const hrefs = await links.evaluateAll((els) => els.map((e) => e.getAttribute("href")));
    expect(hrefs).toEqual(items.map((i) => `/items/${i.type}/${encodeURIComponent(i.id)}`));
    expect(items.some((i) => i.added.includes(EXTRA_LABEL))).toBe(true);

    await expectSoundPage(a.page, `Job ${id}`);
    // A finished job cannot be cancelled.
    expect(await a.page.getByRole("button", { name: "Cancel job" }).count()).toBe(0);
    await screenshot(a.page, "job");

    // The list shows it with its counts; a link opens an item.
    await a.page.getByRole("link", { name: "All jobs" }).click();
    const listed = a.page.locator(`.jobs-table tr[data-job="${id}"]`);
    await listed.waitFor();
    expect(await listed.locator("td.num").textContent()).toBe(job.items_changed.toLocaleString("en-US"));
    await screenshot(a.page, "jobs");
    await listed.getByRole("link", { name: `Job ${id}` }).click();
    await a.page.locator(".job-items tbody tr th a").first().click();
    await a.page.waitForURL(`${a.origin}${hrefs[0]}`);
    expect(a.pageErrors).toEqual([]);
  }, 120_000);
});

describeBrowser.each(BACKENDS)("cancelling a job on %s", (backend) => {
  let a: AppInBrowser;
  beforeAll(async () => {
    // No runners: a job stays where it starts, so it is still there to cancel.
    a = await openApp(backend, { runners: false });
  }, 60_000);
  afterAll(() => a?.close());

  it("cancels a job after the confirmation, and the API says cancelled", async () => {
    const id = await startFromForm(a.page, a.origin);
    expect((await getJob(a, id)).status).toBe("fanning_out");
    await a.page.getByRole("progressbar", { name: `Job ${id} progress` }).waitFor();
    await expectSoundPage(a.page, `Job ${id}`);

    // Keep closes the dialog and changes nothing.
    await a.page.getByRole("button", { name: "Cancel job" }).click();
    const dialog = a.page.getByRole("dialog", { name: "Cancel job" });
    await dialog.getByRole("button", { name: "Keep" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect((await getJob(a, id)).status).toBe("fanning_out");

    await a.page.getByRole("button", { name: "Cancel job" }).click();
    await dialog.getByRole("button", { name: "Cancel job" }).click();
    await a.page.locator('[data-status="cancelled"]').waitFor();
    expect((await getJob(a, id)).status).toBe("cancelled");
    expect(await a.page.getByRole("button", { name: "Cancel job" }).count()).toBe(0);
    expect(a.pageErrors).toEqual([]);
  });

  it("shows an ingest token why there is nothing for it", async () => {
    for (const path of ["/jobs", "/jobs/1"]) {
      const page = await ingestPage(a, path);
      await page.locator("[data-admin-only]").waitFor();
      expect(await page.getByRole("button", { name: "Start re-label" }).count()).toBe(0);
      await expectSoundPage(page, /^Jobs?\b/);
      await page.close();
    }
  });
});
