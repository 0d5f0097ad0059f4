import { afterAll, beforeAll, expect, it } from "vitest";
import { TEST_TOKEN } from "../helpers/app.js";
import { BACKENDS } from "../helpers/db.js";
import { runbookPublishScript, runbookTickLoop } from "../helpers/runbook.js";
import {
  type AppInBrowser,
  accessibilityViolations,
  describeBrowser,
  expectSoundPage,
  openApp,
  signIn,
} from "./harness.js";

const PAGES = [
  { path: "/", heading: "Overview" },
  { path: "/items", heading: "Items" },
  { path: "/taxonomy", heading: "Taxonomy" },
  { path: "/jobs", heading: "Jobs" },
  { path: "/queues", heading: "Queues" },
  { path: "/models", heading: "Models" },
];

async function runsOf(a: AppInBrowser, fsId: string): Promise<number> {
  const rows = await a.t.database.db
    .selectFrom("analysis_runs")
    .select("id")
    .where("item_type", "=", "conversation")
    .where("item_id", "=", fsId)
    .execute();
  return rows.length;
}

describeBrowser.each(BACKENDS)("the web app's shell on %s", (backend) => {
  let a: AppInBrowser;
  beforeAll(async () => {
    a = await openApp(backend);
  }, 60_000);
  afterAll(() => a?.close());

  it("shows a signed-out visitor the sign-in form, and the server's message for a wrong token", async () => {
    const page = await (await a.browser.newContext()).newPage();
    await page.goto(`${a.origin}/items`);
    await page.getByLabel("API token").fill("not-a-token-at-all");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toMatch(/not a valid API token/);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.close();
  });

  it("renders every page with its heading, the navigation bar and no serious accessibility violation", async () => {
    for (const { path, heading } of PAGES) {
      await a.page.goto(`${a.origin}${path}`);
      await expectSoundPage(a.page, heading);
    }
    expect(a.pageErrors).toEqual([]);
  });

  it("moves between pages from the navigation bar without reloading", async () => {
    await a.page.goto(`${a.origin}/`);
    await a.page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 1;
    });
    await a.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Queues" }).click();
    await a.page.getByRole("heading", { level: 1, name: "Queues" }).waitFor();
    expect(a.page.url()).toBe(`${a.origin}/queues`);
    expect(await a.page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
  });

  it("runs the runbook's publish request verbatim from the devtools console of an app page", async () => {
    await a.page.goto(`${a.origin}/items`);
    const before = await runsOf(a, "c-10127");
    const script = runbookPublishScript({ conversation_fs_id: "c-10127" });
    await a.page.evaluate(script);
    // The runners pick the message up: one more analysis run of that conversation.
    await expect.poll(() => runsOf(a, "c-10127"), { timeout: 20_000 }).toBe(before + 1);
  });

  it("runs the runbook's tick loop verbatim from the devtools console of every page", async () => {
    for (const { path } of PAGES) {
      await a.page.goto(`${a.origin}${path}`);
      const lines: string[] = [];
      const collect = (message: { text(): string }) => lines.push(message.text());
      a.page.on("console", collect);
      await a.page.evaluate(
        `(async () => { ${runbookTickLoop(2).replace("runFetchSequentially();", "await runFetchSequentially();")} })()`,
      );
      a.page.off("console", collect);
      expect(lines.filter((l) => l.startsWith("✅"))).toHaveLength(2);
      expect(lines.some((l) => l.startsWith("❌"))).toBe(false);
    }
  });

  it("serves its assets compressed and cached for good, and the page never cached, under a strict policy", async () => {
    const res = await fetch(`${a.origin}/`, { headers: { "accept-encoding": "br" } });
    expect(res.headers.get("cache-control")).toBe("no-cache");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    const html = await res.text();
    const script = /src="(\/assets\/app-[\w-]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${a.origin}${script}`, { headers: { "accept-encoding": "br" } });
    expect(asset.headers.get("content-encoding")).toBe("br");
    expect(asset.headers.get("cache-control")).toContain("immutable");
  });

  it("signs out: the next request shows the sign-in form again", async () => {
    const page = await (await a.browser.newContext()).newPage();
    await signIn(page, a.origin, TEST_TOKEN);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API token").waitFor();
    await page.reload();
    await page.getByLabel("API token").waitFor();
  });
});
