import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freshApp, type TestApp } from "./helpers/app.js";

describe("rate limit", () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp("sqlite", { rateLimitPerMinute: 5 });
  });
  afterEach(() => t.cleanup());

  it("answers 429 rate_limited past the limit on /api, authenticated or not, and never limits probes", async () => {
    for (let i = 0; i < 4; i++)
      expect((await t.api({ method: "GET", url: "/api/conversations" })).statusCode).toBe(200);
    expect((await t.app.inject({ method: "GET", url: "/api/conversations" })).statusCode).toBe(401);
    const limited = await t.api({ method: "GET", url: "/api/conversations" });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe("rate_limited");
    expect(limited.headers["retry-after"]).toBeDefined();
    for (let i = 0; i < 10; i++)
      expect((await t.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });
});
