import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Credentials } from "../src/auth/credentials.js";
import { packageVersion } from "../src/cli/version.js";
import { loadConfig } from "../src/config.js";
import { buildServer } from "../src/http/server.js";
import { buildCommit, Metrics } from "../src/metrics.js";
import { freshRuntime, TEST_TOKEN, type TestRuntime } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";

/**
 * `promtool check metrics` (Debian's prometheus package) is the judge of the
 * exposition format. In CI a missing promtool fails the run (.ci/run installs
 * it); elsewhere the promtool check is skipped, and says so.
 */
const PROMTOOL = process.env.RELABEL_PROMTOOL ?? "/usr/bin/promtool";
const HAVE_PROMTOOL = existsSync(PROMTOOL);
if (!HAVE_PROMTOOL) {
  if (process.env.CI)
    throw new Error(`promtool is not at ${PROMTOOL}; CI requires it (apt-get install prometheus)`);
  console.warn(`\n*** promtool is not at ${PROMTOOL}: \`promtool check metrics\` is SKIPPED ***\n`);
}

describe.each(BACKENDS)("/metrics on %s", (backend) => {
  let t: TestRuntime;
  let text: string;

  beforeAll(async () => {
    t = await freshRuntime(backend);
    const metrics = new Metrics(t.database, () => t.runtime.topics.names(), { commit: "abc1234" });
    t.runtime.observe = (topic, report, seconds) => metrics.observeBatch(topic, report, seconds);
    const app = await buildServer({
      ...t.runtime,
      credentials: new Credentials({ admin: [TEST_TOKEN] }),
      metrics,
    });
    const api = (method: "PUT" | "POST", url: string, payload?: object) =>
      app.inject({ method, url, payload, headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    try {
      // Some of everything: an item PUT and analyzed by a tick, a 404, a note.
      const put = await api("PUT", "/api/conversations/c-1", {
        messages: [{ role: "customer", text: "where is my refund" }],
      });
      expect(put.statusCode).toBe(201);
      expect((await api("POST", "/api/notes/n-1/versions", { text: "called back" })).statusCode).toBe(201);
      expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
      expect((await app.inject({ method: "GET", url: "/no-such-page" })).statusCode).toBe(404);
      const tick = await api("POST", "/api/tick/runners");
      expect(tick.statusCode).toBe(200);
      const res = await app.inject({ method: "GET", url: "/metrics" });
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
      text = res.body;
    } finally {
      await app.close();
    }
  });
  afterAll(() => t.cleanup());

  it.skipIf(!HAVE_PROMTOOL)("passes `promtool check metrics` with no complaint", () => {
    const run = spawnSync(PROMTOOL, ["check", "metrics"], { input: text, encoding: "utf8" });
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({
      status: 0,
      stdout: "",
      stderr: "",
    });
  });

  it("keeps the standard process_* and nodejs_* names, unprefixed", () => {
    for (const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "process_start_time_seconds",
      "nodejs_eventloop_lag_seconds",
      "nodejs_heap_size_used_bytes",
      "nodejs_version_info",
    ]) {
      expect(text).toMatch(new RegExp(`^# TYPE ${name} `, "m"));
    }
    expect(text).not.toMatch(/^relabel_(process|nodejs)_/m);
  });

  it("types every metric as its name says: counters end in _total, nothing else does", () => {
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => ({ name, type }));
    expect(types.length).toBeGreaterThan(20);
    for (const { name, type } of types) {
      expect({ name, counter: name?.endsWith("_total") }).toEqual({ name, counter: type === "counter" });
    }
  });

  it("reports relabel's own work under relabel_, with the build it runs", () => {
    expect(text).toContain(`relabel_build_info{version="${packageVersion()}",commit="abc1234"} 1`);
    expect(text).toMatch(
      /^relabel_messages_processed_total\{topic="conversation_note_analysis",outcome="succeeded"\} 2$/m,
    );
    expect(text).toMatch(/^relabel_messages_pending\{topic="conversation_note_analysis"\} 0$/m);
    expect(text).toMatch(/^relabel_batch_duration_seconds_count\{topic="conversation_note_analysis"\} \d+$/m);
    expect(text).toMatch(
      /^relabel_http_requests_total\{method="PUT",route="\/api\/conversations\/:fs_id",status="201"\} 1$/m,
    );
  });
});

describe("relabel_build_info's commit", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "relabel-build-info-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, contents?: string) => {
    const path = join(dir, name);
    if (contents !== undefined) writeFileSync(path, contents);
    return pathToFileURL(path);
  };

  it("is RELABEL_COMMIT, else what the build recorded, else unknown", () => {
    const built = file("built.json", '{"commit":"0aeb39f"}');
    expect(buildCommit("v1.2.3", built)).toBe("v1.2.3");
    expect(buildCommit(undefined, built)).toBe("0aeb39f");
    expect(buildCommit(undefined, file("no-git.json", '{"commit":null}'))).toBe("unknown");
    expect(buildCommit(undefined, file("absent.json"))).toBe("unknown");
    expect(buildCommit(undefined, file("broken.json", "{"))).toBe("unknown");
  });

  it("RELABEL_COMMIT must look like a commit id or tag", () => {
    expect(loadConfig({ RELABEL_COMMIT: "3f2c1ab" }).commit).toBe("3f2c1ab");
    expect(loadConfig({}).commit).toBeUndefined();
    expect(() => loadConfig({ RELABEL_COMMIT: 'x"} 1\nevil' })).toThrow(/RELABEL_COMMIT/);
  });

  it("a build records the checkout's commit in dist/build-info.json", () => {
    const git = spawnSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" });
    // `npm run build`'s last step, as it runs there.
    const build = spawnSync(process.execPath, ["scripts/build-info.mjs"], { encoding: "utf8" });
    expect(build.status).toBe(0);
    const recorded = new URL("../dist/build-info.json", import.meta.url);
    expect(buildCommit(undefined, recorded)).toBe(git.status === 0 ? git.stdout.trim() : "unknown");
  });
});
