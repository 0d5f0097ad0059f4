import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../src/http/session.js";
import { freshApp, TEST_TOKEN, type TestApp } from "./helpers/app.js";
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
    const tampered = cookie.replace(/=(\d)/, (_m, d) => `=${(Number(d) + 1) % 10}`);
    expect((await fetch(`${origin}/api/conversations/c-1`, { headers: { cookie: tampered } })).status).toBe(
      401,
    );
  });

  it("signs out", async () => {
    const res = await fetch(`${origin}/console/session`, { method: "DELETE", headers: { cookie, origin } });
    expect(res.status).toBe(204);
    expect(res.headers.get("set-cookie")).toMatch(/Expires=Thu, 01 Jan 1970/);
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
