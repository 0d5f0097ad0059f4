import http from "node:http";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Credentials } from "../src/auth/credentials.js";
import { loadConfig, parseDatabaseUrl } from "../src/config.js";
import { type Database, openDatabase } from "../src/db/database.js";
import { buildServer } from "../src/http/server.js";
import { SECURE_SESSION_COOKIE, SESSION_COOKIE } from "../src/http/session.js";
import { freshApp, INGEST_TOKEN, TEST_TOKEN, type TestApp } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";
import { runbookPublishScript, runbookTickLoop, runInConsole } from "./helpers/runbook.js";

describe.each(BACKENDS)("browser session on %s", (backend) => {
  let t: TestApp;
  let origin: string;
  let cookie: string;

  beforeAll(async () => {
    t = await freshApp(backend);
    origin = await t.app.listen({ port: 0, host: "127.0.0.1" });
    await t.api({ method: "PUT", url: "/api/conversations/c-1", payload: {} });
  });
  afterAll(() => t.cleanup());

  const signIn = (token: string, headers: Record<string, string>) =>
    fetch(`${origin}/console/session`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ token }),
    });

  it("serves the console page without a token", async () => {
    const res = await fetch(`${origin}/console`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<form id="signin">');
  });

  it("refuses a wrong token and a cross-origin sign-in", async () => {
    expect((await signIn("wrong-token-000000000", { origin })).status).toBe(401);
    const cross = await signIn(TEST_TOKEN, { origin: "https://evil.example" });
    expect(cross.status).toBe(403);
    expect(((await cross.json()) as { error: { code: string } }).error.code).toBe("cross_origin_refused");
  });

  it("sets an HttpOnly, SameSite=Strict session cookie for the right token", async () => {
    const res = await signIn(TEST_TOKEN, { origin });
    expect(res.status).toBe(204);
    const set = res.headers.get("set-cookie") ?? "";
    expect(set).toMatch(new RegExp(`^${SESSION_COOKIE}=`));
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Strict/i);
    expect(set).toMatch(/Path=\//);
    cookie = set.split(";")[0] as string;
  });

  it("authenticates the runbook's requests verbatim from the same origin", async () => {
    const browser = { cookie, origin };
    const [published] = await runInConsole(
      runbookPublishScript({ conversation_fs_id: "c-1" }),
      origin,
      browser,
    );
    expect(published?.startsWith("202 ")).toBe(true);
    const lines = await runInConsole(runbookTickLoop(2), origin, browser);
    expect(lines).toContain("Successful: 2");
    const runs = await t.database.db.selectFrom("analysis_runs").selectAll().execute();
    expect(runs).toHaveLength(1);
    // A GET needs no origin check.
    expect((await fetch(`${origin}/api/conversations/c-1`, { headers: { cookie } })).status).toBe(200);
  });

  it("refuses cookie-authenticated changes from another origin or with no origin at all", async () => {
    const tick = (headers: Record<string, string>) =>
      fetch(`${origin}/api/tick/runners`, { method: "POST", headers });
    const evil = await tick({ cookie, origin: "https://evil.example" });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { error: { code: string } }).error.code).toBe("cross_origin_refused");
    expect((await tick({ cookie })).status).toBe(403);
    expect((await tick({ cookie, "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await tick({ cookie, "sec-fetch-site": "same-origin" })).status).toBe(200);
  });

  it("ignores a forged or tampered cookie", async () => {
    const forged = `${SESSION_COOKIE}=${encodeURIComponent(String(Date.now() + 1e9))}`;
    expect((await fetch(`${origin}/api/conversations/c-1`, { headers: { cookie: forged } })).status).toBe(
      401,
    );
    // One character of the random id changed.
    const tampered = cookie.replace(/=(.)/, (_m, c: string) => `=${c === "A" ? "B" : "A"}`);
    expect((await fetch(`${origin}/api/conversations/c-1`, { headers: { cookie: tampered } })).status).toBe(
      401,
    );
  });

  it("signs out, and the cookie no longer reaches anything", async () => {
    const read = () => fetch(`${origin}/api/conversations/c-1`, { headers: { cookie } });
    expect((await read()).status).toBe(200);
    const res = await fetch(`${origin}/console/session`, { method: "DELETE", headers: { cookie, origin } });
    expect(res.status).toBe(204);
    expect(res.headers.get("set-cookie")).toMatch(/Expires=Thu, 01 Jan 1970/);
    // The browser forgets the cookie; a copy of it (a replay) is refused all the same.
    expect((await read()).status).toBe(401);
    const tick = await fetch(`${origin}/api/tick/runners`, { method: "POST", headers: { cookie, origin } });
    expect(tick.status).toBe(401);
  });

  it("serves Prometheus metrics per topic and per route", async () => {
    const text = await (await fetch(`${origin}/metrics`)).text();
    expect(text).toMatch(/relabel_messages_pending\{topic="conversation_note_analysis"\} 0/);
    expect(text).toMatch(/relabel_messages_dead_lettered\{topic="conversation_note_analysis"\} 0/);
    expect(text).toMatch(/relabel_oldest_pending_age_seconds\{topic="conversation_note_analysis"\} 0/);
    expect(text).toMatch(
      /relabel_http_requests_total\{method="POST",route="\/api\/tick\/runners",status="200"\} \d+/,
    );
    expect(text).toContain("relabel_batch_duration_seconds");
  });
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** node:http, so the Host header can be whatever a browser (or an attacker) would send. */
function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  json?: unknown,
): Promise<Answer> {
  const { hostname, port } = new URL(base);
  const body = json === undefined ? undefined : JSON.stringify(json);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: hostname,
        port,
        method,
        path,
        agent: false,
        headers: { ...(body ? { "content-type": "application/json" } : {}), ...headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const codeOf = (answer: Answer) => (JSON.parse(answer.body) as { error: { code: string } }).error.code;
const cookieOf = (answer: Answer) => String(answer.headers["set-cookie"]?.[0] ?? "").split(";")[0] as string;

describe.each(BACKENDS)("sessions kept server-side and bound to their origin, on %s", (backend) => {
  let t: TestApp;
  /** A second process on the same database, on another port. */
  let other: { app: FastifyInstance; database: Database };
  let a: string;
  let b: string;
  let hostA: string;
  let hostB: string;

  const signIn = (base: string, headers: Record<string, string>, token = TEST_TOKEN) =>
    send(base, "POST", "/console/session", headers, { token });
  const read = (base: string, headers: Record<string, string>) =>
    send(base, "GET", "/api/conversations/c-1", headers);
  const tick = (base: string, headers: Record<string, string>) =>
    send(base, "POST", "/api/tick/runners", headers);

  beforeAll(async () => {
    t = await freshApp(backend);
    a = await t.app.listen({ port: 0, host: "127.0.0.1" });
    hostA = new URL(a).host;
    const database = openDatabase(parseDatabaseUrl(t.url));
    const app = await buildServer({
      ...t.runtime,
      database,
      credentials: new Credentials({ admin: [TEST_TOKEN], ingest: [INGEST_TOKEN] }),
      // As if both served one public name through a proxy: A's host:port is B's too.
      allowedHosts: ["relabel.test", hostA],
    });
    other = { app, database };
    b = await app.listen({ port: 0, host: "127.0.0.1" });
    hostB = new URL(b).host;
    await t.api({ method: "PUT", url: "/api/conversations/c-1", payload: {} });
  });
  afterAll(async () => {
    await other.app.close();
    await other.database.close();
    await t.cleanup();
  });

  it("keeps only a hash of the session id, with the origin it was signed in on", async () => {
    const res = await signIn(a, { host: hostA, origin: a });
    expect(res.status).toBe(204);
    const id = decodeURIComponent(cookieOf(res).split("=")[1] as string);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await t.database.db.selectFrom("sessions").selectAll().execute();
    expect(rows.map((r) => r.origin)).toContain(a);
    expect(JSON.stringify(rows)).not.toContain(id);
  });

  it("ends a session for every process on the database when one signs it out", async () => {
    // Two processes behind one name (a proxy): the same Host reaches both.
    const cookie = cookieOf(await signIn(a, { host: hostA, origin: a }));
    expect((await read(b, { host: hostA, cookie })).status).toBe(200);
    const out = await send(b, "DELETE", "/console/session", { host: hostA, origin: a, cookie });
    expect(out.status).toBe(204);
    expect((await read(a, { host: hostA, cookie })).status).toBe(401);
    expect((await tick(a, { host: hostA, origin: a, cookie })).status).toBe(401);
  });

  it("refuses a session past its expiry, and prunes expired rows at the next sign-in", async () => {
    const cookie = cookieOf(await signIn(a, { host: hostA, origin: a }));
    await t.database.db
      .updateTable("sessions")
      .set({ expires_at: Date.now() - 1 })
      .execute();
    expect((await read(a, { host: hostA, cookie })).status).toBe(401);
    expect(cookieOf(await signIn(a, { host: hostA, origin: a }))).toMatch(/^relabel_session=/);
    const left = await t.database.db.selectFrom("sessions").select("expires_at").execute();
    expect(left).toHaveLength(1);
    expect(Number(left[0]?.expires_at)).toBeGreaterThan(Date.now());
  });

  it("refuses a session on another port of the same host, even with a forged Origin", async () => {
    const cookie = cookieOf(await signIn(a, { host: hostA, origin: a }));
    expect((await read(a, { host: hostA, cookie })).status).toBe(200);
    // The browser sends the cookie to every port; the other port is another origin.
    const elsewhere = await read(b, { host: hostB, cookie });
    expect(elsewhere.status).toBe(403);
    expect(codeOf(elsewhere)).toBe("cross_origin_refused");
    // Whoever received it there replays it, claiming the origin that issued it.
    const replay = await tick(b, { host: hostB, origin: a, cookie });
    expect(replay.status).toBe(403);
    expect((await tick(a, { host: hostA, origin: b, cookie })).status).toBe(403);
    expect((await tick(a, { host: hostA, origin: a, cookie })).status).toBe(200);
  });

  it("refuses a session under a Host that is not relabel's, and a sign-in there (DNS rebinding)", async () => {
    const cookie = cookieOf(await signIn(a, { host: hostA, origin: a }));
    const port = new URL(a).port;
    const rebound = await read(a, { host: `evil.example:${port}`, cookie });
    expect(rebound.status).toBe(403);
    expect(codeOf(rebound)).toBe("host_not_allowed");
    for (const host of ["evil.example", `evil.example:${port}`, `localhost.evil.example:${port}`]) {
      const res = await signIn(a, { host, origin: `http://${host}` });
      expect(res.status, host).toBe(403);
      expect(codeOf(res), host).toBe("host_not_allowed");
      expect(res.headers["set-cookie"], host).toBeUndefined();
    }
    // The loopback names on the port the server listens on are relabel's own.
    for (const host of [`localhost:${port}`, `[::1]:${port}`, hostA]) {
      expect((await signIn(a, { host, origin: `http://${host}` })).status, host).toBe(204);
    }
    expect((await signIn(a, { host: "localhost:1", origin: "http://localhost:1" })).status).toBe(403);
  });

  it("allows the names in RELABEL_ALLOWED_HOSTS", async () => {
    const port = new URL(b).port;
    const host = `relabel.test:${port}`;
    const res = await signIn(b, { host, origin: `http://${host}` });
    expect(res.status).toBe(204);
    const cookie = cookieOf(res);
    expect((await read(b, { host, cookie })).status).toBe(200);
    expect((await signIn(a, { host, origin: `http://${host}` })).status).toBe(403);
  });

  it("keeps a session while its token is configured, across restarts with rotated tokens", async () => {
    const OLD = "old-admin-token-0123456789";
    const NEW = "new-admin-token-0123456789";
    // Restarts of one deployment: each server is new, the database (where sessions live) is not.
    const withTokens = async <T>(admin: string[], use: (app: FastifyInstance) => Promise<T>) => {
      const app = await buildServer({ ...t.runtime, credentials: new Credentials({ admin }) });
      try {
        return await use(app);
      } finally {
        await app.close();
      }
    };
    const headers = { origin: "http://localhost:80", host: "localhost:80" };
    const cookie = await withTokens([OLD], async (app) => {
      const res = await app.inject({
        method: "POST",
        url: "/console/session",
        headers,
        payload: { token: OLD },
      });
      expect(res.statusCode).toBe(204);
      return String(res.headers["set-cookie"]).split(";")[0] as string;
    });
    const taxonomyWith = (admin: string[]) =>
      withTokens(admin, async (app) => {
        const res = await app.inject({
          method: "GET",
          url: "/api/taxonomy",
          headers: { ...headers, cookie },
        });
        return res.statusCode;
      });
    expect(await taxonomyWith([NEW, OLD])).toBe(200);
    expect(await taxonomyWith([NEW])).toBe(401);
    expect(await taxonomyWith([OLD, NEW])).toBe(200);
  });

  it("leaves bearer tokens alone: curl may reach relabel under any name", async () => {
    const res = await read(a, { host: "evil.example", authorization: `Bearer ${TEST_TOKEN}` });
    expect(res.status).toBe(200);
  });

  it("sets a __Host- cookie for an https origin (a TLS-terminating proxy), and only takes it by that name", async () => {
    const https = `https://${hostA}`;
    const res = await signIn(a, { host: hostA, origin: https });
    expect(res.status).toBe(204);
    const set = String(res.headers["set-cookie"]?.[0]);
    expect(set).toMatch(new RegExp(`^${SECURE_SESSION_COOKIE}=`));
    expect(set).toMatch(/; Secure/i);
    expect(set).toMatch(/Path=\//);
    expect(set).not.toMatch(/Domain=/i);
    const cookie = cookieOf(res);
    expect((await tick(a, { host: hostA, origin: https, cookie })).status).toBe(200);
    expect((await tick(a, { host: hostA, origin: a, cookie })).status).toBe(403);
    // Planted under the plain name (by a sibling domain, or a plain-HTTP page), it is not a session.
    const planted = cookie.replace(`${SECURE_SESSION_COOKIE}=`, `${SESSION_COOKIE}=`);
    expect((await read(a, { host: hostA, cookie: planted })).status).toBe(401);
  });
});

describe("RELABEL_ALLOWED_HOSTS", () => {
  it("reads comma-separated host[:port], and names a bad entry", () => {
    expect(loadConfig({}).allowedHosts).toEqual([]);
    const config = loadConfig({
      RELABEL_ALLOWED_HOSTS: " Relabel.Example.com, 10.0.0.5:3000 ,[fd00::1]:80,",
    });
    expect(config.allowedHosts).toEqual(["relabel.example.com", "10.0.0.5:3000", "[fd00::1]:80"]);
    for (const bad of ["https://relabel.example.com", "relabel.example.com:99999", "a b", "host/path"]) {
      expect(() => loadConfig({ RELABEL_ALLOWED_HOSTS: bad }), bad).toThrow(/RELABEL_ALLOWED_HOSTS/);
    }
  });
});
