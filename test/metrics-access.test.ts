import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Credentials } from "../src/auth/credentials.js";
import { loadConfig } from "../src/config.js";
import { buildServer } from "../src/http/server.js";
import { freshApp, freshRuntime, INGEST_TOKEN, TEST_TOKEN, type TestRuntime } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";

const METRICS_TOKEN = "metrics-token-0123456789abcdef";

describe.each(BACKENDS)("who may read /metrics on %s", (backend) => {
  describe("by default", () => {
    it("is open, like /healthz", async () => {
      const t = await freshApp(backend);
      try {
        const res = await t.app.inject({ method: "GET", url: "/metrics" });
        expect(res.statusCode).toBe(200);
        expect(res.body).toContain("relabel_build_info");
      } finally {
        await t.cleanup();
      }
    });
  });

  describe("with RELABEL_METRICS_TOKEN", () => {
    let t: TestRuntime;
    let app: FastifyInstance;
    beforeAll(async () => {
      t = await freshRuntime(backend);
      app = await buildServer({
        ...t.runtime,
        credentials: new Credentials({ admin: [TEST_TOKEN], ingest: [INGEST_TOKEN] }),
        metricsTokens: loadConfig({ RELABEL_METRICS_TOKEN: METRICS_TOKEN }).metricsTokens,
      });
    });
    afterAll(async () => {
      await app.close();
      await t.cleanup();
    });

    const scrape = (authorization?: string) =>
      app.inject({ method: "GET", url: "/metrics", headers: authorization ? { authorization } : {} });

    it("answers 401 without a token, or with a wrong or ingest one", async () => {
      for (const authorization of [
        undefined,
        "Bearer wrong-token-0123456789abcdef",
        `Bearer ${INGEST_TOKEN}`,
        `Basic ${METRICS_TOKEN}`,
      ]) {
        const res = await scrape(authorization);
        expect({ authorization, status: res.statusCode }).toEqual({ authorization, status: 401 });
        expect(res.headers["www-authenticate"]).toBe('Bearer realm="relabel"');
        expect(res.json()).toMatchObject({ error: { code: "unauthorized" } });
        expect(res.body).not.toContain("relabel_build_info");
      }
    });

    it("answers 200 with the metrics token or an admin token", async () => {
      for (const token of [METRICS_TOKEN, TEST_TOKEN]) {
        const res = await scrape(`Bearer ${token}`);
        expect(res.statusCode).toBe(200);
        expect(res.body).toContain("relabel_build_info");
      }
    });

    it("leaves the probes open", async () => {
      expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
      expect((await app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
    });
  });
});

describe("RELABEL_METRICS_TOKEN and RELABEL_METRICS_AUTH", () => {
  it("leave /metrics open unless one asks for a token", () => {
    expect(loadConfig({}).metricsTokens).toBeUndefined();
    expect(loadConfig({ RELABEL_METRICS_AUTH: "open" }).metricsTokens).toBeUndefined();
  });

  it("a metrics token (several while rotating) requires one of them, or an admin token", () => {
    expect(loadConfig({ RELABEL_METRICS_TOKEN: METRICS_TOKEN }).metricsTokens).toEqual([METRICS_TOKEN]);
    const rotating = `${METRICS_TOKEN}, new-${METRICS_TOKEN}`;
    expect(loadConfig({ RELABEL_METRICS_TOKEN: rotating }).metricsTokens).toEqual([
      METRICS_TOKEN,
      `new-${METRICS_TOKEN}`,
    ]);
  });

  it("RELABEL_METRICS_AUTH=token alone requires an admin token", () => {
    expect(loadConfig({ RELABEL_METRICS_AUTH: "token" }).metricsTokens).toEqual([]);
  });

  it("refuses a short token, an unknown mode and a contradiction", () => {
    expect(() => loadConfig({ RELABEL_METRICS_TOKEN: "short" })).toThrow(/RELABEL_METRICS_TOKEN/);
    expect(() => loadConfig({ RELABEL_METRICS_AUTH: "basic" })).toThrow(/RELABEL_METRICS_AUTH/);
    expect(() => loadConfig({ RELABEL_METRICS_AUTH: "open", RELABEL_METRICS_TOKEN: METRICS_TOKEN })).toThrow(
      /RELABEL_METRICS_AUTH: is 'open' but RELABEL_METRICS_TOKEN is set/,
    );
  });
});
