import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freshApp, INGEST_TOKEN, TEST_TOKEN, type TestApp } from "./helpers/app.js";

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const WRONG = bearer("wrong-token-0123456789abcdef");

describe("rate limits", () => {
  let t: TestApp;
  afterEach(() => t.cleanup());

  describe("per token", () => {
    beforeEach(async () => {
      t = await freshApp("sqlite", { rateLimits: { perTokenPerSecond: 5, authFailuresPerMinute: 0 } });
    });

    it("answers 429 rate_limited past the limit, per token, and never limits probes", async () => {
      const get = (headers: Record<string, string>) =>
        t.app.inject({ method: "GET", url: "/api/conversations", headers });
      for (let i = 0; i < 5; i++) expect((await get(bearer(TEST_TOKEN))).statusCode).toBe(200);
      const limited = await get(bearer(TEST_TOKEN));
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error.code).toBe("rate_limited");
      expect(Number(limited.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      // Another token, from the same address, has its own budget.
      expect((await get(bearer(INGEST_TOKEN))).statusCode).toBe(200);
      for (let i = 0; i < 10; i++)
        expect((await t.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
      // The window is a second: the token works again after it.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await get(bearer(TEST_TOKEN))).statusCode).toBe(200);
    });

    it("never limits ticks: the runbook's loop calls them back to back", async () => {
      const tick = () =>
        t.app.inject({ method: "POST", url: "/api/tick/runners", headers: bearer(TEST_TOKEN) });
      for (let i = 0; i < 20; i++) expect((await tick()).statusCode).toBe(200);
      // The token's budget is untouched by them; other routes are still limited.
      const get = () =>
        t.app.inject({ method: "GET", url: "/api/conversations", headers: bearer(TEST_TOKEN) });
      for (let i = 0; i < 5; i++) expect((await get()).statusCode).toBe(200);
      expect((await get()).statusCode).toBe(429);
      expect((await tick()).statusCode).toBe(200);
    });
  });

  describe("failed authentication", () => {
    beforeEach(async () => {
      t = await freshApp("sqlite", { rateLimits: { perTokenPerSecond: 0, authFailuresPerMinute: 3 } });
    });

    it("limits failed attempts per address, on /api and at /console, but lets a valid token through", async () => {
      const get = (headers: Record<string, string>, remoteAddress = "10.9.8.7") =>
        t.app.inject({ method: "GET", url: "/api/conversations", headers, remoteAddress });
      for (let i = 0; i < 3; i++) expect((await get(WRONG)).statusCode).toBe(401);
      const limited = await get(WRONG);
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error.code).toBe("rate_limited");
      expect(limited.json().error.message).toMatch(/failed authentications/);
      expect((await get({})).statusCode).toBe(429);
      const signIn = await t.app.inject({
        method: "POST",
        url: "/console/session",
        remoteAddress: "10.9.8.7",
        headers: { origin: "http://localhost:80", host: "localhost:80" },
        payload: { token: "wrong-token-0123456789abcdef" },
      });
      expect(signIn.statusCode).toBe(429);
      // A valid token from the same address is not locked out; another address is not affected.
      expect((await get(bearer(TEST_TOKEN))).statusCode).toBe(200);
      expect((await get(WRONG, "10.9.8.6")).statusCode).toBe(401);
    });

    it("never counts authenticated requests as failures", async () => {
      for (let i = 0; i < 50; i++)
        expect((await t.api({ method: "GET", url: "/api/conversations" })).statusCode).toBe(200);
      expect(
        (await t.app.inject({ method: "GET", url: "/api/conversations", headers: WRONG })).statusCode,
      ).toBe(401);
    });
  });
});
