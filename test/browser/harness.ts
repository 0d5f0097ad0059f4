import { existsSync, readFileSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { describe, expect } from "vitest";
import { loadSample } from "../../src/cli/sample.js";
import { RunnerPool } from "../../src/runners/worker.js";
import { freshApp, INGEST_TOKEN, TEST_TOKEN, type TestApp } from "../helpers/app.js";
import type { Backend } from "../helpers/db.js";

/**
 * Browser tests drive Debian's Chromium through playwright-core: no browser
 * is downloaded. In CI a missing Chromium fails the run (.ci/run installs
 * it); elsewhere these tests are skipped, and say so.
 */
export const CHROMIUM = process.env.RELABEL_CHROMIUM ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  if (process.env.CI)
    throw new Error(`Chromium is not at ${CHROMIUM}; CI requires it (apt-get install chromium)`);
  console.warn(`\n*** Chromium is not at ${CHROMIUM}: the browser tests are SKIPPED ***\n`);
}
export const describeBrowser = HAVE_CHROMIUM ? describe : describe.skip;

/** Screenshots for the README are refreshed only when asked: `npm run screenshots`. */
const SCREENSHOTS = process.env.RELABEL_SCREENSHOTS === "1";
const AXE = readFileSync(new URL("../../node_modules/axe-core/axe.min.js", import.meta.url), "utf8");

export interface AppInBrowser {
  t: TestApp;
  origin: string;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Errors the page threw or logged, and requests the CSP refused: a test ends asserting none. */
  pageErrors: string[];
  close(): Promise<void>;
}

/**
 * A server of its own on a fresh database (with the sample taxonomy and items
 * when `sample`), runners labeling in the background, and a signed-in page.
 */
export async function openApp(
  backend: Backend,
  options: { sample?: boolean; token?: "admin" | "ingest"; runners?: boolean } = {},
): Promise<AppInBrowser> {
  const t = await freshApp(backend);
  if (options.sample !== false) await loadSample(t.runtime);
  const pool = options.runners === false ? undefined : new RunnerPool(t.runtime, { concurrency: 1 });
  pool?.start();
  const origin = await t.app.listen({ port: 0, host: "127.0.0.1" });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !/status of 4\d\d/.test(message.text())) {
      pageErrors.push(`console: ${message.text()}`);
    }
  });
  await signIn(page, origin, options.token === "ingest" ? INGEST_TOKEN : TEST_TOKEN);
  return {
    t,
    origin,
    browser,
    context,
    page,
    pageErrors,
    async close() {
      await browser.close();
      await pool?.stop();
      await t.cleanup();
    },
  };
}

export async function signIn(page: Page, origin: string, token: string): Promise<void> {
  await page.goto(`${origin}/`);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
}

/** axe-core's serious and critical violations on the page as it stands (WCAG 2.1 AA rules). */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  // Evaluated as devtools would: the page's CSP does not apply, and the page itself never loads axe.
  await page.evaluate(AXE);
  type Violation = { id: string; impact: string; targets: string[] };
  const violations: Violation[] = await page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is injected at run time
    const axe = (window as any).axe;
    const result = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    });
    return result.violations.map((v: { id: string; impact: string; nodes: { target: string[] }[] }) => ({
      id: v.id,
      impact: v.impact,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    }));
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.targets.join(", ")}`);
}

/** Asserts the page has its <h1>, the navigation bar, and no serious accessibility violation. */
export async function expectSoundPage(page: Page, heading: string | RegExp): Promise<void> {
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
  expect(await page.getByRole("heading", { level: 1 }).count()).toBe(1);
  for (const name of ["Overview", "Items", "Taxonomy", "Jobs", "Queues", "Models"]) {
    expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name }).count()).toBe(1);
  }
  expect(await accessibilityViolations(page)).toEqual([]);
}

/** Saves a README screenshot under docs/screenshots, when asked to (RELABEL_SCREENSHOTS=1). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  await page.screenshot({ path: `docs/screenshots/${name}.png`, fullPage: false });
}
