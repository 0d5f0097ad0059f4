import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import http, { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { Credentials } from "../../src/auth/credentials.js";
import { ERRORS, type ErrorCode } from "../../src/errors.js";
import { clientErrorHandler } from "../../src/http/errors.js";
import { buildServer } from "../../src/http/server.js";
import { freshRuntime, INGEST_TOKEN, TEST_TOKEN, type TestRuntime } from "../helpers/app.js";
import { BACKENDS } from "../helpers/db.js";
import { CASES, type Category, type HostileCase, QUERY_TOKENS, SEED } from "./cases.js";

/**
 * Every case of the hostile-input table (cases.ts), over real HTTP, against
 * one server per backend that holds realistic data. Each answer must be the
 * case's status and catalog code, in the catalog's shape, with no stack, SQL
 * or file path, and with the security headers. Afterwards every table reads
 * back byte-identical, the server still serves, and its logs hold neither a
 * token nor any customer text.
 */

const CATEGORIES: Category[] = [
  "malformed-json",
  "wrong-types",
  "huge",
  "deep-nesting",
  "prototype-pollution",
  "sql-looking-ids",
  "control-characters",
  "dates",
  "query-params",
  "methods",
  "authorization",
  "scope",
  "cross-origin",
  "media-type",
  "runbook-text-plain",
];

/** What no error body may contain: a stack trace, SQL or a database's name, a file path. */
const LEAKS: [string, RegExp][] = [
  ["a stack trace", /\n\s+at |\bat [\w.<>]+ \(|"stack"/],
  ["SQL or a database", /select |insert |syntax error|sqlite|postgres/i],
  ["a file path", /\/work\/|node_modules|\.ts:\d/],
];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Keys sorted at every level, so equal rows stringify equally whatever their column order. */
function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") return `${v}n`;
    if (v instanceof Uint8Array) return `bytes:${Buffer.from(v).toString("base64")}`;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

const labelNames = (item: Record<string, unknown>) => (item.labels as { name: string }[]).map((l) => l.name);

/** A unique marker for customer text, so its appearance in logs is unambiguous. */
const SENTINEL = `SENTINEL-${randomBytes(4).toString("hex")}`;

describe.each(BACKENDS)("hostile input over HTTP on %s", (backend) => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let origin: string;
  let cookie: string;
  let before: Record<string, string>;
  const logs: string[] = [];

  const adminHeaders = { authorization: `Bearer ${TEST_TOKEN}` };

  async function api(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${origin}${path}`, {
      method,
      headers: body === undefined ? adminHeaders : { ...adminHeaders, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }

  async function drain(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const tick = await api("POST", "/api/tick/runners");
      expect(tick.status).toBe(200);
      if (tick.json.remaining === 0) return;
    }
    throw new Error("the queue did not drain");
  }

  /** A digest of every row of every table, per table: what the cases must leave as it was. */
  async function digest(): Promise<Record<string, string>> {
    const db = t.database.db;
    let tables = await db.introspection.getTables({ withInternalKyselyTables: true });
    if (backend === "postgres") {
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
      const schema = rows[0]?.schema;
      expect(schema).toMatch(/^t_/);
      tables = tables.filter((table) => table.schema === schema);
    }
    const names = tables.filter((table) => !table.isView).map((table) => table.name);
    expect(names).toEqual(expect.arrayContaining(["conversations", "note_versions", "messages"]));
    const out: Record<string, string> = {};
    for (const name of names.sort()) {
      const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db);
      const lines = rows.map(stableStringify).sort();
      out[name] = `${rows.length} rows, ${createHash("sha256").update(lines.join("\n")).digest("hex")}`;
    }
    return out;
  }

  async function seed(): Promise<void> {
    const taxonomy = parseYaml(
      readFileSync(new URL("../../examples/taxonomy.yaml", import.meta.url), "utf8"),
    );
    expect((await api("PUT", "/api/taxonomy", taxonomy)).status).toBe(200);
    const conversations = [
      {
        id: SEED.conversation,
        subject: `${SENTINEL}-SUBJECT charged twice`,
        messages: [
          {
            role: "customer",
            text: `${SENTINEL}-CUSTOMER-TEXT I was charged twice, I want a refund`,
            at: "2025-06-01T10:00:00Z",
          },
          {
            role: "agent",
            text: `${SENTINEL}-AGENT-TEXT sorry, the refund is on its way`,
            at: "2025-06-01T10:05:00Z",
          },
        ],
        metadata: { channel: "email", tags: ["vip", "eu"], nested: { score: 3 } },
        created_at: "2025-06-01T10:00:00Z",
        updated_at: "2025-06-01T10:05:00Z",
      },
      {
        id: SEED.otherConversation,
        subject: `${SENTINEL}-SUBJECT where is my parcel`,
        messages: [
          { role: "customer", text: `${SENTINEL}-CUSTOMER-TEXT my parcel is late, no tracking number` },
        ],
        metadata: {},
        updated_at: "2025-06-02T08:00:00Z",
      },
    ];
    for (const { id, ...body } of conversations) {
      expect((await api("PUT", `/api/conversations/${id}`, body)).status).toBe(201);
    }
    for (const [id, texts] of [
      [SEED.note, ["customer asked for a refund", "refund issued, follow up tomorrow"]],
      [SEED.otherNote, ["the app crashes at login"]],
    ] as const) {
      for (const [i, text] of texts.entries()) {
        const res = await api("POST", `/api/notes/${id}/versions`, {
          text: `${SENTINEL}-NOTE-TEXT ${text}`,
          metadata: { author: "agent-7", version_hint: i + 1 },
          created_at: `2025-06-0${3 + i}T09:00:00Z`,
        });
        expect(res.status).toBe(201);
      }
    }
    await drain();
    // A person's decisions: one label added, one removed.
    const added = await api("POST", `/api/conversations/${SEED.conversation}/labels`, {
      name: SEED.manualLabel,
    });
    expect(added.status).toBe(200);
    const removed = await api(
      "DELETE",
      `/api/notes/${SEED.note}/labels/${encodeURIComponent("billing/refund")}`,
    );
    expect(removed.status).toBe(200);
    await drain();
    // A finished reanalysis job.
    const job = await api("POST", "/api/internal/labels/reanalysis?from=2025-01-01");
    expect(job.status).toBe(202);
    await drain();
    const done = await api("GET", `/api/internal/labels/reanalysis/${job.json.id}`);
    expect(done.json).toMatchObject({ status: "done", total: 4 });
    const conversation = await api("GET", `/api/conversations/${SEED.conversation}`);
    expect(labelNames(conversation.json)).toContain(SEED.manualLabel);
  }

  async function signIn(): Promise<string> {
    const res = await fetch(`${origin}/console/session`, {
      method: "POST",
      headers: { "content-type": "application/json", origin },
      body: JSON.stringify({ token: TEST_TOKEN }),
    });
    expect(res.status).toBe(204);
    const set = res.headers.get("set-cookie") ?? "";
    expect(set).toMatch(/^relabel_session=/);
    return set.split(";")[0] as string;
  }

  beforeAll(async () => {
    t = await freshRuntime(backend);
    const logger = pino({ level: "debug" }, { write: (line: string) => void logs.push(line) });
    app = await buildServer({
      ...t.runtime,
      logger,
      credentials: new Credentials({ admin: [TEST_TOKEN], ingest: [INGEST_TOKEN] }),
    });
    origin = await app.listen({ host: "127.0.0.1", port: 0 });
    await seed();
    cookie = await signIn();
    before = await digest();
  });

  afterAll(async () => {
    await app?.close();
    await t?.cleanup();
  });

  function requestHeaders(c: HostileCase): Record<string, string | string[]> {
    const headers: Record<string, string | string[]> = {};
    const auth = c.auth ?? "admin";
    if (auth === "admin") headers.authorization = `Bearer ${TEST_TOKEN}`;
    if (auth === "ingest") headers.authorization = `Bearer ${INGEST_TOKEN}`;
    if (auth === "cookie") headers.cookie = cookie;
    if (c.json !== undefined) headers["content-type"] = "application/json";
    for (const [name, value] of Object.entries(c.headers ?? {})) {
      const fill = (v: string) => v.replaceAll("{origin}", origin);
      headers[name.toLowerCase()] = Array.isArray(value) ? value.map(fill) : fill(value as string);
    }
    return headers;
  }

  const bodyOf = (c: HostileCase): string | Buffer | undefined =>
    c.json !== undefined ? JSON.stringify(c.json) : c.body;

  /** node:http, for what fetch will not send: repeated headers, raw bytes, dot segments, TRACE, chunks. */
  function sendRaw(c: HostileCase, headers: Record<string, string | string[]>): Promise<Answer> {
    const body = bodyOf(c);
    const { hostname, port } = new URL(origin);
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = http.request({ host: hostname, port, method: c.method, path: c.path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          answered = true;
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          });
        });
      });
      // The server may answer (413) and close before the whole body is written.
      req.on("error", (err) => {
        if (!answered) setTimeout(() => (answered ? undefined : reject(err)), 200);
      });
      if (body === undefined) req.end();
      else if (c.chunked) {
        const buffer = Buffer.from(body);
        for (let at = 0; at < buffer.length; at += 64 * 1024) req.write(buffer.subarray(at, at + 64 * 1024));
        req.end();
      } else req.end(body);
    });
  }

  async function send(c: HostileCase): Promise<Answer> {
    const headers = requestHeaders(c);
    if (c.transport === "http") return sendRaw(c, headers);
    const res = await fetch(`${origin}${c.path}`, {
      method: c.method,
      headers: headers as Record<string, string>,
      body: bodyOf(c),
      redirect: "manual",
    });
    return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
  }

  it("has a case for every /api route of the OpenAPI document", async () => {
    const spec = (await (await fetch(`${origin}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.entries(spec.paths)
      .filter(([path]) => path.startsWith("/api/"))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path })));
    expect(operations.length).toBeGreaterThanOrEqual(31);
    const matches = (template: string, path: string) => {
      const pattern = template
        .split("/")
        .map((s) => (s.startsWith("{") ? "[^/]*" : s.replace(/[.]/g, "\\.")));
      return new RegExp(`^${pattern.join("/")}$`).test(path.split("?")[0] as string);
    };
    const uncovered = operations.filter(
      (op) => !CASES.some((c) => c.method === op.method && matches(op.path, c.path)),
    );
    expect(uncovered).toEqual([]);
  });

  for (const c of CASES) {
    it(`${c.category}: ${c.name}`, async () => {
      const res = await send(c);
      const where = `${c.method} ${c.path.slice(0, 100)} -> ${res.status} ${res.body.slice(0, 400)}`;
      expect(res.status, where).toBe(c.expect.status);
      expect(res.headers["x-content-type-options"], where).toBe("nosniff");
      if (c.expect.allow !== undefined) expect(res.headers.allow, where).toBe(c.expect.allow);
      if (c.expect.status === 401 && c.path.startsWith("/api")) {
        expect(res.headers["www-authenticate"], where).toMatch(/^Bearer /);
      }
      if (c.method === "HEAD") {
        expect(res.body).toBe("");
        return;
      }
      expect(res.headers["content-type"], where).toMatch(/^application\/json/);
      const parsed = JSON.parse(res.body) as {
        error: { code: ErrorCode; message: string; details?: unknown };
      };
      expect(Object.keys(parsed), where).toEqual(["error"]);
      const { error } = parsed;
      expect(error.code, where).toBe(c.expect.code);
      expect(ERRORS[error.code].status).toBe(res.status);
      expect(typeof error.message).toBe("string");
      expect(error.message.length).toBeGreaterThan(0);
      for (const key of Object.keys(error)) expect(["code", "message", "details"]).toContain(key);
      for (const [what, pattern] of LEAKS) expect(res.body, `${where}: ${what}`).not.toMatch(pattern);
      // An error answer stays small, whatever the request's size.
      expect(res.body.length, where).toBeLessThan(64 * 1024);
    });
  }

  it("leaves every table exactly as it was", async () => {
    expect(await digest()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it("still serves: health, readiness, and ordinary requests", async () => {
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    expect((await fetch(`${origin}/readyz`)).status).toBe(200);
    const conversation = await api("GET", `/api/conversations/${SEED.conversation}`);
    expect(conversation.status).toBe(200);
    expect(labelNames(conversation.json)).toContain(SEED.manualLabel);
    const note = await api("GET", `/api/notes/${SEED.note}`);
    expect(note.json).toMatchObject({ latest_version: 2, analyzed_version: 2 });
    // A GET with the session cookie needs no origin check, even from another origin.
    const viaCookie = await fetch(`${origin}/api/notes/${SEED.otherNote}`, {
      headers: { cookie, origin: "https://evil.example" },
    });
    expect(viaCookie.status).toBe(200);
  });

  it("logs no customer text", () => {
    expect(logs.length).toBeGreaterThan(CASES.length);
    const leaked = logs.filter((line) => line.includes(SENTINEL));
    expect(leaked).toEqual([]);
  });

  it("logs no token, including those sent in a query string", () => {
    const secrets = [...new Set([TEST_TOKEN, INGEST_TOKEN, ...QUERY_TOKENS, cookie.split("=")[1] as string])];
    const leaked = logs.filter((line) => secrets.some((secret) => line.includes(secret)));
    expect(leaked.map((line) => line.slice(0, 300))).toEqual([]);
  });
});

describe("the hostile-input table", () => {
  it("has at least 110 cases, in every category", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(110);
    for (const category of CATEGORIES) {
      expect(CASES.filter((c) => c.category === category).length, category).toBeGreaterThanOrEqual(3);
    }
  });

  it("expects only catalog codes, each with its catalog status", () => {
    for (const c of CASES) {
      expect(Object.keys(ERRORS), c.name).toContain(c.expect.code);
      expect(ERRORS[c.expect.code].status, c.name).toBe(c.expect.status);
    }
  });
});

describe("clientErrorHandler (for requests Node cannot parse; see the known issues in cases.ts)", () => {
  function answer(code: string): { raw: string; destroyed: boolean } {
    const out = { raw: "", destroyed: false };
    const socket = {
      destroyed: false,
      writable: true,
      write: (chunk: string) => {
        out.raw += chunk;
        return true;
      },
      destroy: () => {
        out.destroyed = true;
      },
    } as unknown as Socket;
    clientErrorHandler(Object.assign(new Error("parse error"), { code }), socket);
    return out;
  }

  it.each([
    ["HPE_INVALID_METHOD", 400, "bad_request"],
    ["HPE_INVALID_URL", 400, "bad_request"],
    ["HPE_HEADER_OVERFLOW", 431, "headers_too_large"],
    ["ERR_HTTP_REQUEST_TIMEOUT", 408, "request_timeout"],
  ] as const)("answers %s with %i %s in the catalog's shape, then closes", (code, status, catalogCode) => {
    const { raw, destroyed } = answer(code);
    const [head, body] = raw.split("\r\n\r\n") as [string, string];
    expect(head.split("\r\n")[0]).toBe(`HTTP/1.1 ${status} ${STATUS_CODES[status]}`);
    expect(head).toMatch(/\r\nx-content-type-options: nosniff\r\n/i);
    expect(head).toMatch(/\r\ncontent-type: application\/json/i);
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body)}`);
    expect(JSON.parse(body)).toEqual({ error: { code: catalogCode, message: expect.any(String) } });
    expect(ERRORS[catalogCode].status).toBe(status);
    expect(destroyed).toBe(true);
  });

  it("leaves a reset connection alone", () => {
    expect(answer("ECONNRESET")).toEqual({ raw: "", destroyed: false });
  });
});
