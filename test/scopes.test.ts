import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Credentials } from "../src/auth/credentials.js";
import { loadConfig } from "../src/config.js";
import { requiredScope } from "../src/http/auth.js";
import { buildServer } from "../src/http/server.js";
import { freshApp, freshRuntime, INGEST_TOKEN, TEST_TOKEN, type TestApp } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";

const as = (token: string) => ({ authorization: `Bearer ${token}` });

/** Every documented /api operation, as a request with its path parameters filled in. */
async function documentedApiRequests(
  t: TestApp,
): Promise<{ name: string; path: string; request: InjectOptions }[]> {
  const paths: Record<string, Record<string, unknown>> = (
    await t.app.inject({ method: "GET", url: "/openapi.json" })
  ).json().paths;
  return Object.entries(paths)
    .filter(([path]) => path.startsWith("/api/"))
    .flatMap(([path, operations]) =>
      Object.keys(operations).map((m) => {
        const method = m.toUpperCase() as InjectOptions["method"];
        const url = path.replace(/\{version\}/g, "1").replace(/\{[^}]+\}/g, "x");
        const payload = method === "PUT" || method === "POST" ? {} : undefined;
        return { name: `${method} ${path}`, path, request: { method, url, payload } };
      }),
    );
}

describe.each(BACKENDS)("token scopes on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await freshApp(backend);
  });
  afterAll(() => t.cleanup());

  it("keeps the runners, the queue and the taxonomy for admin tokens", async () => {
    const requests = await documentedApiRequests(t);
    const admin = requests.filter((r) => requiredScope(r.path) === "admin");
    // The runbook's three routes and the taxonomy are among them.
    expect(admin.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        "POST /api/internal/pubsub/publish",
        "POST /api/tick/runners",
        "POST /api/internal/labels/reanalysis",
        "PUT /api/taxonomy",
        "GET /api/taxonomy",
      ]),
    );
    for (const { name, request } of admin) {
      const res = await t.app.inject({ ...request, headers: as(INGEST_TOKEN) });
      expect(res.statusCode, name).toBe(403);
      expect(res.json().error.code, name).toBe("insufficient_scope");
      expect(res.headers["www-authenticate"]).toMatch(/insufficient_scope/);
      const withAdmin = await t.app.inject({ ...request, headers: as(TEST_TOKEN) });
      expect([401, 403], name).not.toContain(withAdmin.statusCode);
    }
  });

  it("lets an ingest token write and read items and labels", async () => {
    const requests = await documentedApiRequests(t);
    const ingest = requests.filter((r) => requiredScope(r.path) === "ingest");
    expect(ingest.map((r) => r.name)).toEqual(
      expect.arrayContaining(["PUT /api/conversations/{fs_id}", "GET /api/labels/stats"]),
    );
    for (const { name, request } of ingest) {
      const res = await t.app.inject({ ...request, headers: as(INGEST_TOKEN) });
      expect([401, 403], `${name}: ${res.body}`).not.toContain(res.statusCode);
    }
    const put = await t.app.inject({
      method: "PUT",
      url: "/api/conversations/scoped-1",
      headers: as(INGEST_TOKEN),
      payload: { subject: "refund please" },
    });
    expect(put.statusCode).toBe(201);
  });
});

describe("token rotation", () => {
  const OLD = "old-admin-token-0123456789";
  const NEW = "new-admin-token-0123456789";

  // Restarts of one deployment: each server is new, the database (where browser sessions live) is not.
  let fresh: Awaited<ReturnType<typeof freshRuntime>>;
  beforeAll(async () => {
    fresh = await freshRuntime("sqlite");
  });
  afterAll(() => fresh.cleanup());

  async function serverWith(admin: string[], ingest: string[] = []) {
    const app = await buildServer({ ...fresh.runtime, credentials: new Credentials({ admin, ingest }) });
    await app.ready();
    return { app, cleanup: () => app.close() };
  }

  it("accepts every configured token, and none once removed", async () => {
    const during = await serverWith([NEW, OLD]);
    for (const token of [OLD, NEW]) {
      const res = await during.app.inject({ method: "GET", url: "/api/taxonomy", headers: as(token) });
      expect(res.statusCode, token).toBe(200);
    }
    await during.cleanup();
    const after = await serverWith([NEW]);
    const old = await after.app.inject({ method: "GET", url: "/api/taxonomy", headers: as(OLD) });
    expect(old.statusCode).toBe(401);
    await after.cleanup();
  });

  it("keeps a browser session signed in with the old token while it is configured", async () => {
    const signIn = async (app: Awaited<ReturnType<typeof serverWith>>["app"], token: string) => {
      const res = await app.inject({
        method: "POST",
        url: "/console/session",
        headers: { origin: "http://localhost:80", host: "localhost:80" },
        payload: { token },
      });
      expect(res.statusCode).toBe(204);
      return String(res.headers["set-cookie"]).split(";")[0] as string;
    };
    const before = await serverWith([OLD]);
    const cookie = await signIn(before.app, OLD);
    await before.cleanup();
    const readWith = async (admin: string[]) => {
      const server = await serverWith(admin);
      const res = await server.app.inject({ method: "GET", url: "/api/taxonomy", headers: { cookie } });
      await server.cleanup();
      return res.statusCode;
    };
    expect(await readWith([NEW, OLD])).toBe(200);
    expect(await readWith([NEW])).toBe(401);
    expect(await readWith([OLD, NEW])).toBe(200);
  });

  it("gives a session the scope of the token that signed it in", async () => {
    const server = await serverWith([NEW], [INGEST_TOKEN]);
    const res = await server.app.inject({
      method: "POST",
      url: "/console/session",
      headers: { origin: "http://localhost:80", host: "localhost:80" },
      payload: { token: INGEST_TOKEN },
    });
    const cookie = String(res.headers["set-cookie"]).split(";")[0] as string;
    const taxonomy = await server.app.inject({ method: "GET", url: "/api/taxonomy", headers: { cookie } });
    expect(taxonomy.statusCode).toBe(403);
    const items = await server.app.inject({ method: "GET", url: "/api/conversations", headers: { cookie } });
    expect(items.statusCode).toBe(200);
    await server.cleanup();
  });
});

describe("token configuration", () => {
  it("reads comma-separated admin and ingest token lists", () => {
    const config = loadConfig({
      RELABEL_API_TOKEN: "a".repeat(16),
      RELABEL_ADMIN_TOKENS: ` ${"b".repeat(16)}, ${"c".repeat(16)} ,`,
      RELABEL_INGEST_TOKENS: "d".repeat(20),
    });
    expect(config.adminTokens).toEqual(["b".repeat(16), "c".repeat(16)]);
    expect(config.ingestTokens).toEqual(["d".repeat(20)]);
  });

  it("refuses a short token in a list, naming the variable", () => {
    expect(() => loadConfig({ RELABEL_INGEST_TOKENS: `${"d".repeat(20)},short` })).toThrow(
      /RELABEL_INGEST_TOKENS.*at least 16/,
    );
  });
});
