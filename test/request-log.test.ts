import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { Credentials } from "../src/auth/credentials.js";
import { buildServer } from "../src/http/server.js";
import { createLogger } from "../src/logger.js";
import { freshRuntime, TEST_TOKEN, type TestRuntime } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";

interface Line {
  level: number;
  msg: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
}
const DEBUG = 20;
const INFO = 30;

describe.each(BACKENDS)("request log lines on %s", (backend) => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let lines: Line[];
  afterEach(async () => {
    await app.close();
    await t.cleanup();
  });

  /** A server logging at `level` into `lines`, as `serve` logs to stderr. */
  const start = async (level: string, metricsTokens?: string[]) => {
    lines = [];
    t = await freshRuntime(backend);
    const logger = createLogger(level, { write: (line: string) => void lines.push(JSON.parse(line)) });
    app = await buildServer({
      ...t.runtime,
      logger,
      credentials: new Credentials({ admin: [TEST_TOKEN] }),
      metricsTokens,
    });
  };
  const get = async (url: string, authorized = false) => {
    const headers = authorized ? { authorization: `Bearer ${TEST_TOKEN}` } : {};
    const res = await app.inject({ method: "GET", url, headers });
    // The completion line is written when the response finishes, just after inject resolves.
    await new Promise((resolve) => setImmediate(resolve));
    return res.statusCode;
  };
  /** Each request's lines, as [message, level] pairs by the URL of its "incoming request" line. */
  const requestLines = () => {
    const byId = new Map<string, string>();
    const out: Record<string, [string, number][]> = {};
    for (const line of lines as (Line & { reqId: string })[]) {
      if (line.req) byId.set(line.reqId, line.req.url);
      const url = byId.get(line.reqId);
      if (url !== undefined) out[url] = [...(out[url] ?? []), [line.msg, line.level]];
    }
    return out;
  };

  it("logs a scrape and the probes at debug, everything else at info", async () => {
    await start("debug");
    expect(await get("/metrics")).toBe(200);
    expect(await get("/healthz")).toBe(200);
    expect(await get("/readyz")).toBe(200);
    expect(await get("/api/conversations?limit=1", true)).toBe(200);
    const quiet: [string, number][] = [
      ["incoming request", DEBUG],
      ["request completed", DEBUG],
    ];
    expect(requestLines()).toEqual({
      "/metrics": quiet,
      "/healthz": quiet,
      "/readyz": quiet,
      "/api/conversations?limit=1": [
        ["incoming request", INFO],
        ["request completed", INFO],
      ],
    });
  });

  it("at the default level, a scrape and the probes write nothing", async () => {
    await start("info");
    for (let i = 0; i < 3; i++) {
      expect(await get("/metrics")).toBe(200);
      expect(await get("/healthz")).toBe(200);
      expect(await get("/readyz")).toBe(200);
    }
    expect(lines).toEqual([]);
    expect(await get("/api/conversations?limit=1", true)).toBe(200);
    expect(lines.map((line) => line.msg)).toEqual(["incoming request", "request completed"]);
  });

  it("still logs a refused scrape at info", async () => {
    await start("info", ["metrics-token-0123456789abcdef"]);
    expect(await get("/metrics")).toBe(401);
    expect(lines.find((line) => line.msg === "request completed")).toMatchObject({
      level: INFO,
      res: { statusCode: 401 },
    });
  });
});
