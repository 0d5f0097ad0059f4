import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ERRORS } from "../src/errors.js";
import { freshApp, TEST_TOKEN, type TestApp } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";

type Method = "GET" | "PUT" | "POST" | "DELETE";

/** Every /api route, with a body that would succeed; the list is checked against the OpenAPI document. */
const API_ROUTES: { method: Method; path: string; url: string; payload?: object }[] = [
  {
    method: "PUT",
    path: "/api/conversations/{fs_id}",
    url: "/api/conversations/c1",
    payload: { subject: "hi" },
  },
  { method: "GET", path: "/api/conversations/{fs_id}", url: "/api/conversations/c1" },
  { method: "GET", path: "/api/conversations", url: "/api/conversations" },
  {
    method: "POST",
    path: "/api/notes/{note_id}/versions",
    url: "/api/notes/n1/versions",
    payload: { text: "hi" },
  },
  { method: "GET", path: "/api/notes/{note_id}", url: "/api/notes/n1" },
  { method: "GET", path: "/api/notes/{note_id}/versions/{version}", url: "/api/notes/n1/versions/1" },
  { method: "GET", path: "/api/notes", url: "/api/notes" },
  { method: "DELETE", path: "/api/notes/{note_id}", url: "/api/notes/n1" },
  { method: "DELETE", path: "/api/conversations/{fs_id}", url: "/api/conversations/c1" },
];

const basic = (text: string) => `Basic ${Buffer.from(text).toString("base64")}`;

/** Authorization headers that must not get in. */
const BAD_CREDENTIALS: [string, Record<string, string>][] = [
  ["no Authorization header", {}],
  ["a wrong token", { authorization: "Bearer wrong-token-0123456789abcdef" }],
  ["the token with a character more", { authorization: `Bearer ${TEST_TOKEN}x` }],
  ["a prefix of the token", { authorization: `Bearer ${TEST_TOKEN.slice(0, -1)}` }],
  ["an empty bearer", { authorization: "Bearer " }],
  ["the token twice", { authorization: `Bearer ${TEST_TOKEN} ${TEST_TOKEN}` }],
  ["the Basic scheme with the token", { authorization: basic(TEST_TOKEN) }],
  ["the Basic scheme with user:token", { authorization: basic(`relabel:${TEST_TOKEN}`) }],
  ["the Basic scheme with the raw token", { authorization: `Basic ${TEST_TOKEN}` }],
  ["another scheme", { authorization: `Token ${TEST_TOKEN}` }],
  ["the token without a scheme", { authorization: TEST_TOKEN }],
  ["the token in another header", { "x-api-key": TEST_TOKEN }],
];

function expectUnauthorized(res: LightMyRequestResponse) {
  expect(res.statusCode, res.body).toBe(401);
  expect(res.headers["www-authenticate"]).toMatch(/^Bearer\b/);
  // HEAD answers carry no body.
  if (res.body === "") return;
  expect(res.json()).toEqual({ error: { code: "unauthorized", message: ERRORS.unauthorized.message } });
  expect(res.body).not.toContain(TEST_TOKEN);
}

describe.each(BACKENDS)("authentication on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend);
  });
  afterEach(() => t.cleanup());

  const unauthenticated = (
    route: (typeof API_ROUTES)[number],
    headers: Record<string, string> = {},
    query = "",
  ) => t.app.inject({ method: route.method, url: `${route.url}${query}`, payload: route.payload, headers });

  /** What an authenticated client reads back: unchanged by any refused request. */
  async function snapshot() {
    const urls = ["/api/conversations", "/api/notes", "/api/conversations/c1", "/api/notes/n1"];
    return Promise.all(urls.map(async (url) => (await t.api({ method: "GET", url })).body));
  }

  /** Every documented /api operation, as a request with its path parameters filled in. */
  async function documentedApiRequests(): Promise<{ name: string; request: InjectOptions }[]> {
    const res = await t.app.inject({ method: "GET", url: "/openapi.json" });
    const paths: Record<string, Record<string, unknown>> = res.json().paths;
    return Object.entries(paths)
      .filter(([path]) => path === "/api" || path.startsWith("/api/"))
      .flatMap(([path, operations]) =>
        Object.keys(operations).map((m) => {
          const method = m.toUpperCase() as InjectOptions["method"];
          const url = path.replace(/\{version\}/g, "1").replace(/\{[^}]+\}/g, "x");
          const payload = method === "PUT" || method === "POST" || method === "PATCH" ? {} : undefined;
          return { name: `${method} ${path}`, request: { method, url, payload } };
        }),
      );
  }

  it("documents every conversations and notes route in OpenAPI", async () => {
    const documented = (await documentedApiRequests()).map((r) => r.name);
    expect(documented).toEqual(expect.arrayContaining(API_ROUTES.map((r) => `${r.method} ${r.path}`)));
  });

  it.each(BAD_CREDENTIALS)("refuses every /api route with %s, writing nothing", async (_why, headers) => {
    await t.api({ method: "PUT", url: "/api/conversations/c1", payload: { subject: "before" } });
    await t.api({ method: "POST", url: "/api/notes/n1/versions", payload: { text: "before" } });
    const before = await snapshot();
    for (const route of API_ROUTES) expectUnauthorized(await unauthenticated(route, headers));
    // And any /api route added since, as long as it is documented.
    for (const { name, request } of await documentedApiRequests()) {
      const res = await t.app.inject({ ...request, headers });
      expect(res.statusCode, name).toBe(401);
      expectUnauthorized(res);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("never reads a token from the query string", async () => {
    await t.api({ method: "PUT", url: "/api/conversations/c1", payload: { subject: "before" } });
    const before = await snapshot();
    for (const route of API_ROUTES) {
      for (const name of ["token", "access_token", "api_key", "bearer"]) {
        const query = `${route.url.includes("?") ? "&" : "?"}${name}=${TEST_TOKEN}`;
        expectUnauthorized(await unauthenticated(route, {}, query));
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it("checks the token before anything else: no validation, size or existence hints", async () => {
    const requests: InjectOptions[] = [
      {
        method: "PUT",
        url: "/api/conversations/c1",
        payload: "{bad",
        headers: { "content-type": "application/json" },
      },
      { method: "PUT", url: "/api/conversations/c1", payload: { subject: "x".repeat(2 * 1024 * 1024) } },
      {
        method: "PUT",
        url: "/api/conversations/c1",
        payload: "<a/>",
        headers: { "content-type": "application/xml" },
      },
      { method: "GET", url: "/api/conversations?limit=0" },
      { method: "GET", url: "/api/conversations/missing" },
      { method: "GET", url: "/api/no-such-route" },
      { method: "GET", url: "/api" },
      { method: "PATCH", url: "/api/conversations/c1" },
      { method: "HEAD", url: "/api/conversations/c1" },
      { method: "OPTIONS", url: "/api/conversations" },
    ];
    for (const request of requests) expectUnauthorized(await t.app.inject(request));
  });

  it("cannot be bypassed by percent-encoding the path", async () => {
    await t.api({ method: "PUT", url: "/api/conversations/c1", payload: { subject: "secret" } });
    await t.api({ method: "POST", url: "/api/notes/n1/versions", payload: { text: "secret" } });
    const before = await snapshot();
    const requests: InjectOptions[] = [
      { method: "GET", url: "/%61pi/conversations/c1" },
      { method: "GET", url: "/%61%70%69/conversations" },
      { method: "GET", url: "/%61pi/notes/n1/versions/1" },
      { method: "PUT", url: "/%61pi/conversations/c1", payload: { subject: "overwritten" } },
      { method: "POST", url: "/%61pi/notes/n1/versions", payload: { text: "appended" } },
      { method: "DELETE", url: "/%61pi/notes/n1" },
      { method: "GET", url: "/%61pi/no-such-route" },
    ];
    for (const request of requests) {
      const res = await t.app.inject(request);
      expect(res.body).not.toContain("secret");
      expectUnauthorized(res);
    }
    expect(await snapshot()).toEqual(before);
    // Paths the router does not match stay 404 (with a token) rather than reaching a route.
    for (const url of ["/API/conversations/c1", "//api/conversations/c1", "/api%2Fconversations/c1"]) {
      expect((await t.api({ method: "GET", url })).statusCode).toBe(404);
    }
  });

  it("lets the right bearer token through on every /api route", async () => {
    const expected: Record<Method, number> = { PUT: 201, POST: 201, GET: 200, DELETE: 204 };
    for (const route of API_ROUTES) {
      const res = await t.api({ method: route.method, url: route.url, payload: route.payload });
      expect(res.statusCode, `${route.method} ${route.url}: ${res.body}`).toBe(expected[route.method]);
    }
  });

  it("takes the scheme in any case and tolerates extra spaces", async () => {
    for (const authorization of [
      `bearer ${TEST_TOKEN}`,
      `BEARER ${TEST_TOKEN}`,
      `Bearer   ${TEST_TOKEN}  `,
    ]) {
      const res = await t.app.inject({
        method: "GET",
        url: "/api/conversations",
        headers: { authorization },
      });
      expect(res.statusCode, authorization).toBe(200);
    }
  });

  it("leaves /healthz and /readyz open, /readyz naming the database", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong" }]) {
      const health = await t.app.inject({ method: "GET", url: "/healthz", headers });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toEqual({ status: "ok" });
      const ready = await t.app.inject({ method: "GET", url: "/readyz", headers });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: "ok", database: backend });
    }
  });

  it("serves /openapi.json openly, requiring the bearer token on /api routes only", async () => {
    const res = await t.app.inject({ method: "GET", url: "/openapi.json" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    const spec = res.json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(spec.components.securitySchemes.bearer).toEqual({ type: "http", scheme: "bearer" });
    expect(spec.security).toEqual([{ bearer: [] }]);
    for (const route of API_ROUTES) {
      const operation = spec.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation.security).toBeUndefined(); // inherits the document-wide bearer requirement
    }
    expect(spec.paths["/healthz"].get.security).toEqual([]);
    expect(spec.paths["/readyz"].get.security).toEqual([]);
    expect(spec.paths["/openapi.json"]).toBeUndefined();
  });

  it("serves the API docs as HTML without a token", async () => {
    let res = await t.app.inject({ method: "GET", url: "/docs" });
    for (let hops = 0; res.statusCode >= 300 && res.statusCode < 400 && hops < 3; hops++) {
      const location = String(res.headers.location);
      res = await t.app.inject({ method: "GET", url: new URL(location, "http://localhost/docs/").pathname });
    }
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.body).toMatch(/<html/i);
    expect(res.body).toMatch(/swagger/i);
  });
});
