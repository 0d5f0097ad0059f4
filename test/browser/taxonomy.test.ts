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

interface ApiTaxonomy {
  version: number;
  labels: { name: string; description?: string }[];
}
interface Issue {
  label: string | null;
  field: string;
  message: string;
}

const WAIT = { timeout: 20_000, interval: 250 };
const BROKEN = `  - name: "test/broken"\n    rules:\n      regex: ["(unclosed"]\n`;
const ADDED = `  - name: "test/refund-words"\n    description: "Added by the browser test"\n    rules:\n      keywords: ["refund", "money", "charged"]\n`;
const FROM = "2026-01-01T00:00";

describeBrowser.each(BACKENDS)("the Taxonomy page on %s", (backend) => {
  let a: AppInBrowser;
  // Runners are ticked by the test: labels hold still between a preview in the page and the API's.
  const tick = async () =>
    (await a.t.api({ method: "POST", url: "/api/tick/runners?max_messages=10000&max_ms=20000" })).json() as {
      remaining: number;
    };
  const drain = async () => {
    while ((await tick()).remaining > 0) {}
  };
  const taxonomy = async () => (await a.t.api({ method: "GET", url: "/api/taxonomy" })).json() as ApiTaxonomy;
  const editor = (page: Page) => page.getByLabel("Taxonomy (YAML or JSON)");
  const previewForm = (page: Page) => page.getByRole("group", { name: "Preview range" });
  /** The proposal the tests make: the first label's description changed, one label added. */
  let proposal = "";
  let changedLabel = "";
  let versionBefore = 0;

  beforeAll(async () => {
    a = await openApp(backend, { runners: false });
    await drain();
  }, 60_000);
  afterAll(() => a?.close());

  it("shows every label of GET /api/taxonomy in the tree, nested by '/'", async () => {
    await a.page.goto(`${a.origin}/taxonomy`);
    await expectSoundPage(a.page, "Taxonomy");
    const api = await taxonomy();
    expect(api.labels.length).toBeGreaterThan(15);
    const tree = a.page.locator(".taxonomy-tree");
    await tree.waitFor();
    const shown = await tree
      .locator("[data-label]")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-label")));
    expect([...shown].sort()).toEqual(api.labels.map((l) => l.name).sort());
    // A label with a '/' sits under its first segment's <details>.
    const nested = api.labels.find((l) => l.name.includes("/"))?.name ?? "";
    const segment = nested.split("/")[0];
    const parent = tree.locator("details", { has: a.page.locator(`[data-label="${nested}"]`) }).first();
    expect(await parent.locator("summary").first().textContent()).toContain(`${segment}/`);
    // The editor starts from the current taxonomy, as YAML.
    const text = await editor(a.page).inputValue();
    for (const label of api.labels) expect(text).toContain(`name: ${JSON.stringify(label.name)}`);
    expect(a.pageErrors).toEqual([]);
  });

  it("shows the API's problems beside the label they concern, and points at its line", async () => {
    await a.page.goto(`${a.origin}/taxonomy`);
    const area = editor(a.page);
    await expect.poll(() => area.inputValue(), WAIT).toContain("labels:");
    const text = `${await area.inputValue()}${BROKEN}`;
    await area.fill(text);
    await a.page.getByRole("button", { name: "Preview", exact: true }).click();
    const group = a.page.locator('[data-issue-label="test/broken"]');
    await group.waitFor();
    const put = await a.t.api({
      method: "PUT",
      url: "/api/taxonomy",
      headers: { "content-type": "application/yaml" },
      payload: text,
    });
    expect(put.statusCode).toBe(400);
    const issues = put.json().error.details.issues as Issue[];
    expect(issues.map((i) => i.label)).toEqual(["test/broken"]);
    for (const issue of issues) {
      expect(await group.textContent()).toContain(issue.field);
      expect(await group.textContent()).toContain(issue.message);
    }
    expect(await area.getAttribute("aria-invalid")).toBe("true");
    expect(await area.getAttribute("aria-describedby")).toBe("taxonomy-issues");
    // The label's line button selects the line that names it.
    await group
      .getByRole("button", { name: /^line \d+$/ })
      .first()
      .click();
    const selected = await area.evaluate((el: HTMLTextAreaElement) =>
      el.value.slice(el.selectionStart, el.selectionEnd),
    );
    expect(selected).toBe('  - name: "test/broken"');
    // Nothing was saved.
    expect((await taxonomy()).version).toBe(1);
    await expectSoundPage(a.page, "Taxonomy");
    expect(a.pageErrors).toEqual([]);
  });

  it("previews a change with the API's per-label numbers and samples, then applies it", async () => {
    await a.page.goto(`${a.origin}/taxonomy`);
    const area = editor(a.page);
    await expect.poll(() => area.inputValue(), WAIT).toContain("labels:");
    const before = await taxonomy();
    versionBefore = before.version;
    changedLabel = before.labels.find((l) => l.description !== undefined)?.name ?? "";
    const current = await area.inputValue();
    // The first description line belongs to the first label with a description (labels are in API order).
    proposal = `${current.replace(/^ {4}description: .*$/m, '    description: "Changed by the browser test"')}${ADDED}`;
    expect(proposal).not.toBe(`${current}${ADDED}`);
    await area.fill(proposal);
    const range = previewForm(a.page);
    await range.getByLabel("From", { exact: true }).fill(FROM);
    await range.getByLabel("Type", { exact: true }).selectOption("both");
    const until = await range.getByLabel("Until", { exact: true }).inputValue();
    await a.page.getByRole("button", { name: "Preview", exact: true }).click();
    const rows = a.page.locator("table.taxonomy-changes tbody tr");
    await rows.first().waitFor(WAIT);

    const iso = (local: string) => a.page.evaluate((v) => new Date(v).toISOString(), local);
    const api = (
      await a.t.api({
        method: "POST",
        url: "/api/internal/taxonomy/preview",
        payload: { taxonomy: proposal, from: await iso(FROM), until: await iso(until), type: "both" },
      })
    ).json() as {
      changes: { label: string; gained: number; lost: number }[];
      samples: { type: string; id: string }[];
      items_changed: number;
    };
    expect(api.changes.find((c) => c.label === "test/refund-words")?.gained).toBeGreaterThan(0);
    const shown = await rows.evaluateAll((trs) =>
      trs.map((tr) => ({
        label: tr.querySelector("th")?.textContent ?? "",
        gained: Number((tr.querySelector('[data-count="gained"]')?.textContent ?? "").replace(/[^\d]/g, "")),
        lost: Number((tr.querySelector('[data-count="lost"]')?.textContent ?? "").replace(/[^\d]/g, "")),
      })),
    );
    expect(shown).toEqual(api.changes);
    const changed = await a.page.locator('[data-preview="items_changed"]').textContent();
    expect(Number((changed ?? "").replace(/[^\d]/g, ""))).toBe(api.items_changed);
    const links = await a.page
      .locator("table.taxonomy-samples tbody tr td:first-child a")
      .evaluateAll((as) => as.map((el) => el.getAttribute("href")));
    expect(links).toEqual(api.samples.map((s) => `/items/${s.type}/${encodeURIComponent(s.id)}`));
    expect(await a.page.locator("table.taxonomy-samples .taxonomy-gained").count()).toBeGreaterThan(0);
    await expectSoundPage(a.page, "Taxonomy");
    // The README's picture: the preview range, its buttons and what the preview found.
    await a.page.evaluate(() => document.querySelector(".taxonomy-editor fieldset")?.scrollIntoView());
    await screenshot(a.page, "taxonomy");

    // Apply: asks first, then GET /api/taxonomy has the new version, and the tree shows it.
    await a.page.getByRole("button", { name: "Apply", exact: true }).click();
    await a.page.getByRole("dialog", { name: "Apply" }).getByRole("button", { name: "Apply" }).click();
    await a.page.getByText(`Version ${versionBefore + 1} is now current`).waitFor(WAIT);
    const after = await taxonomy();
    expect(after.version).toBe(versionBefore + 1);
    expect(after.labels.map((l) => l.name)).toContain("test/refund-words");
    expect(after.labels.find((l) => l.name === changedLabel)?.description).toBe(
      "Changed by the browser test",
    );
    await a.page.locator('.taxonomy-tree [data-label="test/refund-words"]').waitFor(WAIT);
    expect(a.pageErrors).toEqual([]);
  });

  it("re-labels a range from the form (the runbook's defaults), linking to the job, which the API sees done", async () => {
    await a.page.goto(`${a.origin}/taxonomy`);
    const form = a.page.getByRole("form", { name: "Re-label range" });
    const from = form.getByLabel("From", { exact: true });
    const until = form.getByLabel("Until", { exact: true });
    // Defaults: 30 days ago, now, both.
    const [fromMs, untilMs] = await a.page.evaluate(
      ([f, u]) => [new Date(f as string).getTime(), new Date(u as string).getTime()],
      [await from.inputValue(), await until.inputValue()],
    );
    expect(Math.abs(Date.now() - (untilMs ?? 0))).toBeLessThan(5 * 60_000);
    expect(Math.abs((untilMs ?? 0) - (fromMs ?? 0) - 30 * 86_400_000)).toBeLessThan(2 * 60 * 60_000);
    expect(await form.getByLabel("Type", { exact: true }).inputValue()).toBe("both");
    await from.fill(FROM);
    await form.getByRole("button", { name: "Re-label range" }).click();
    const link = form.getByRole("link", { name: /^job \d+$/ });
    await link.waitFor(WAIT);
    const id = Number((await link.textContent())?.replace(/[^\d]/g, ""));
    expect(await link.getAttribute("href")).toBe(`/jobs/${id}`);
    const job = async () =>
      (await a.t.api({ method: "GET", url: `/api/internal/labels/reanalysis/${id}` })).json() as {
        status: string;
        from: string;
        type: string;
        total: number;
      };
    const started = await job();
    expect(started.type).toBe("both");
    expect(started.from).toBe(await a.page.evaluate((v) => new Date(v).toISOString(), FROM));
    await link.click();
    await a.page.waitForURL(`${a.origin}/jobs/${id}`);
    await expect
      .poll(
        async () => {
          await tick();
          return (await job()).status;
        },
        { timeout: 60_000, interval: 100 },
      )
      .toBe("done");
    expect((await job()).total).toBeGreaterThan(0);
    expect(a.pageErrors).toEqual([]);
  });

  it("diffs two versions: the changed and the added label, as GET /api/taxonomy/diff says", async () => {
    await a.page.goto(`${a.origin}/taxonomy`);
    const current = (await taxonomy()).version;
    expect(await a.page.getByLabel("From version").inputValue()).toBe(String(current - 1));
    expect(await a.page.getByLabel("To version").inputValue()).toBe(String(current));
    const api = (
      await a.t.api({ method: "GET", url: `/api/taxonomy/diff?from=${current - 1}&to=${current}` })
    ).json() as { added: { name: string }[]; changed: { name: string; changes: { field: string }[] }[] };
    expect(api.changed.map((c) => c.name)).toEqual([changedLabel]);
    const changedRow = a.page.locator(`tr[data-diff="changed"][data-label="${changedLabel}"]`);
    await changedRow.waitFor(WAIT);
    expect(await changedRow.textContent()).toContain("Changed by the browser test");
    expect(await a.page.locator('[data-diff="added"]').allTextContents()).toEqual(
      api.added.map((l) => expect.stringContaining(l.name)),
    );
    // Any two versions: from the empty one, every label is added.
    await a.page.getByLabel("From version").selectOption("0");
    await expect
      .poll(() => a.page.locator('[data-diff="added"]').count(), WAIT)
      .toBe((await taxonomy()).labels.length);
    await expectSoundPage(a.page, "Taxonomy");
    expect(a.pageErrors).toEqual([]);
  });

  it("tells an ingest token the page is for admins, showing no editor", async () => {
    const context = await a.browser.newContext();
    const page = await context.newPage();
    try {
      await signIn(page, a.origin, INGEST_TOKEN);
      await page.goto(`${a.origin}/taxonomy`);
      await expectSoundPage(page, "Taxonomy");
      await page.getByText("for admins").waitFor();
      expect(await page.getByLabel("Taxonomy (YAML or JSON)").count()).toBe(0);
      expect(await page.getByRole("button", { name: "Apply" }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
