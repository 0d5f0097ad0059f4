/**
 * How soon each page of the web app is usable on the sample data: a real
 * `relabel serve --sample` and Debian's Chromium, each page opened afresh
 * (a new navigation, assets from the browser's cache as a returning user has
 * them), timed from navigation start until its heading is shown and nothing
 * on it still says "Loading". Median and worst of 7 opens, both backends.
 *
 *   npm run build && npx tsx bench/web-pages.ts [--backend sqlite|postgres] [--runs 7]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { type Backend, scratchDatabase } from "./load-items.js";

const { values } = parseArgs({
  options: { backend: { type: "string" }, runs: { type: "string", default: "7" } },
});
const RUNS = Number(values.runs);
const TOKEN = "bench-web-token-0123456789";
const PAGES = [
  "/",
  "/items",
  "/items?labels=billing%2Frefund",
  "/items?q=refund",
  "/taxonomy",
  "/jobs",
  "/queues",
  "/models",
];

/**
 * The page shows its heading and nothing on it still says Loading. A function,
 * not a string: the app's CSP refuses eval, which a string predicate needs.
 * (This file is type-checked without the DOM library, hence the cast.)
 */
function ready(): boolean {
  // biome-ignore lint/suspicious/noExplicitAny: runs in the page, typed without the DOM library
  const doc = (globalThis as any).document;
  return (
    doc.querySelector("main h1") !== null &&
    !/Loading/.test(doc.querySelector("main")?.textContent ?? "Loading")
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function serve(url: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["dist/cli/main.js", "serve", "--sample"], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      RELABEL_API_TOKEN: TOKEN,
      PORT: String(port),
      LOG_LEVEL: "warn",
    },
    stdio: "ignore",
  });
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("relabel serve did not start");
}

async function measure(backend: Backend): Promise<{ page: string; median: number; worst: number }[]> {
  const db = await scratchDatabase(backend);
  const port = await freePort();
  const child = await serve(db.url, port);
  const origin = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${origin}/`);
    await page.getByLabel("API token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    // Let the runners label the sample first: the pages are timed on data worth looking at.
    await new Promise((r) => setTimeout(r, 5_000));
    const rows = [];
    for (const path of PAGES) {
      const times: number[] = [];
      for (let i = 0; i <= RUNS; i++) {
        await page.goto(`${origin}${path}`);
        await page.waitForFunction(ready, undefined, { polling: "raf", timeout: 30_000 });
        const ms = Number(await page.evaluate("performance.now()"));
        if (i > 0) times.push(ms); // the first open warms the cache and the server
      }
      times.sort((a, b) => a - b);
      rows.push({ page: path, median: times[Math.floor(times.length / 2)] ?? 0, worst: times.at(-1) ?? 0 });
    }
    return rows;
  } finally {
    await browser.close();
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    await db.drop();
  }
}

const backends: Backend[] = values.backend ? [values.backend as Backend] : ["sqlite", "postgres"];
console.log(
  `load average before: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log("| backend | page | median ms | worst ms |\n| --- | --- | ---: | ---: |");
for (const backend of backends) {
  for (const row of await measure(backend)) {
    console.log(`| ${backend} | \`${row.page}\` | ${row.median.toFixed(0)} | ${row.worst.toFixed(0)} |`);
  }
}
console.log(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
