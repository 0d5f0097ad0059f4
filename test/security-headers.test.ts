import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshApp, type TestApp } from "./helpers/app.js";

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

describe("security headers", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await freshApp("sqlite");
  });
  afterAll(() => t.cleanup());

  it("come with every answer: success, error, unauthenticated and not found", async () => {
    const answers = [
      await t.api({ method: "GET", url: "/api/conversations" }),
      await t.api({ method: "GET", url: "/api/conversations/missing" }),
      await t.app.inject({ method: "GET", url: "/api/conversations" }),
      await t.app.inject({ method: "GET", url: "/nowhere" }),
      await t.app.inject({ method: "GET", url: "/healthz" }),
    ];
    for (const res of answers) {
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      expect(res.headers["x-frame-options"]).toBe("SAMEORIGIN");
      expect(res.headers["strict-transport-security"]).toMatch(/max-age=\d+/);
      expect(res.headers["referrer-policy"]).toBe("no-referrer");
      expect(res.headers["content-security-policy"]).toMatch(/default-src/);
      expect(res.headers["x-powered-by"]).toBeUndefined();
    }
  });

  it("let the console page run exactly its own script and style, and nothing else", async () => {
    const res = await t.app.inject({ method: "GET", url: "/console" });
    const csp = String(res.headers["content-security-policy"]);
    const script = /<script>([\s\S]*?)<\/script>/.exec(res.body)?.[1] ?? "";
    const style = /<style>([\s\S]*?)<\/style>/.exec(res.body)?.[1] ?? "";
    expect(script).toContain("/console/session");
    expect(csp).toContain(`script-src ${sha256(script)}`);
    expect(csp).toContain(`style-src ${sha256(style)}`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
  });

  it("keep the API docs usable over plain HTTP", async () => {
    const res = await t.app.inject({ method: "GET", url: "/docs/" });
    expect(res.statusCode).toBe(200);
    const csp = String(res.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("upgrade-insecure-requests");
  });
});
