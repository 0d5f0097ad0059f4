import { readdirSync, readFileSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";

/** `npm test` builds first, so dist/web is the app as it ships. */
const WEB = new URL("../dist/web/", import.meta.url);
const ASSETS = new URL("assets/", WEB);

describe("the built web app", () => {
  const files = readdirSync(ASSETS);
  const index = readFileSync(new URL("index.html", WEB), "utf8");

  it("loads one script and one stylesheet, both named by their content's hash", () => {
    const scripts = [...index.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]);
    const styles = [...index.matchAll(/<link[^>]*href="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual([expect.stringMatching(/^\/assets\/app-[\w-]{12}\.js$/)]);
    expect(styles).toEqual([expect.stringMatching(/^\/assets\/app-[\w-]{12}\.css$/)]);
    for (const path of [...scripts, ...styles]) expect(files).toContain(path?.replace("/assets/", ""));
  });

  it("has no inline script or style for the policy to allow", () => {
    expect(index).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(index).not.toMatch(/<style|style="/);
  });

  it("ships at most 200 KB of gzipped JavaScript for the first page", () => {
    const gzipped = files
      .filter((f) => f.endsWith(".js.gz"))
      .reduce((sum, f) => sum + statSync(new URL(f, ASSETS)).size, 0);
    expect(gzipped).toBeGreaterThan(0);
    expect(gzipped).toBeLessThanOrEqual(200 * 1024);
  });

  it("never evaluates strings as code", () => {
    for (const file of files.filter((f) => f.endsWith(".js"))) {
      const source = readFileSync(new URL(file, ASSETS), "utf8");
      expect(source).not.toMatch(/\beval\(|new Function\(/);
    }
  });
});
