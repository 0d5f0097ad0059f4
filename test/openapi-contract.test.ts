import type { AddressInfo } from "node:net";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { OpenAPIV3 } from "openapi-types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERRORS } from "../src/errors.js";
import { TRANSPORT_STATUSES } from "../src/http/openapi.js";
import { trainModel } from "../src/models/training.js";
import { freshApp, INGEST_TOKEN, TEST_TOKEN, type TestApp } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";
import { CASES, type HostileCase } from "./hostile/cases.js";

/**
 * Every route, over real HTTP, answers only what the OpenAPI document says:
 * the status is one the operation documents (the HTTP layer's own 405, 408
 * and 414 under `default`), the content type one it documents, and the body
 * validates (ajv) against the documented schema, errors included (the
 * catalog's envelope). Every operation is called at least once with success
 * and, under /api, at least once with an error; the hostile-input table's
 * requests are checked too.
 */

// ajv-formats is CommonJS: its default export is the plugin under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Method = "get" | "put" | "post" | "delete";

interface Operation {
  method: Method;
  path: string;
  pattern: RegExp;
  literal: number;
  operation: OpenAPIV3.OperationObject;
}

interface Sent {
  method: string;
  path: string;
  json?: unknown;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Default admin. */
  token?: string | null;
}

const TRAIN = [
  ...["refund my money", "I want a refund", "refund the charge", "give me a refund please", "refund now"].map(
    (text) => ({ text, labels: ["refund"] }),
  ),
  ...["where is my parcel", "parcel not arrived", "the parcel is late", "track my parcel", "lost parcel"].map(
    (text) => ({ text, labels: ["parcel"] }),
  ),
];

describe.each(BACKENDS)("the OpenAPI contract on %s", (backend) => {
  let t: TestApp;
  let base: string;
  let document: OpenAPIV3.Document;
  let operations: Operation[];
  const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  const validators = new Map<string, ValidateFunction>();
  /** "METHOD /path" → the statuses seen. */
  const seen = new Map<string, Set<number>>();

  beforeAll(async () => {
    t = await freshApp(backend);
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    document = (await (await fetch(`${base}/openapi.json`)).json()) as OpenAPIV3.Document;
    operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item ?? {}).map(([method, operation]) => ({
        method: method as Method,
        path,
        pattern: new RegExp(`^${path.replace(/[.]/g, "\\.").replace(/\{[^}]+\}/g, "[^/]+")}$`),
        literal: path.replace(/\{[^}]+\}/g, "").length,
        operation: operation as OpenAPIV3.OperationObject,
      })),
    );
  }, 60_000);
  afterAll(() => t.cleanup());

  function operationFor(method: string, url: string): Operation | undefined {
    const path = url.split("?")[0] ?? "";
    return operations
      .filter((o) => o.method === method.toLowerCase() && o.pattern.test(path))
      .sort((a, b) => b.literal - a.literal)[0];
  }

  function validator(key: string, schema: object): ValidateFunction {
    let validate = validators.get(key);
    if (!validate) {
      // The document's components beside the schema, so its `#/components/...` refs resolve.
      validate = ajv.compile({ ...schema, components: document.components });
      validators.set(key, validate);
    }
    return validate;
  }

  /** Sends a request and checks its answer against the document; returns the answer. */
  async function call(
    sent: Sent,
  ): Promise<{ status: number; text: string; json: () => Record<string, unknown> }> {
    const headers: Record<string, string> = { ...sent.headers };
    const token = sent.token === undefined ? TEST_TOKEN : sent.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body = sent.body;
    if (sent.json !== undefined) {
      body = JSON.stringify(sent.json);
      headers["content-type"] ??= "application/json";
    }
    const res = await fetch(`${base}${sent.path}`, { method: sent.method, headers, body });
    const text = await res.text();
    const where = `${sent.method} ${sent.path} → ${res.status} ${text.slice(0, 300)}`;
    const found = operationFor(sent.method, sent.path);
    expect(found, `no operation documents ${where}`).toBeDefined();
    if (!found) throw new Error("unreachable");
    const key = `${found.method.toUpperCase()} ${found.path}`;
    const statuses = seen.get(key) ?? new Set();
    statuses.add(res.status);
    seen.set(key, statuses);

    const responses = found.operation.responses;
    const explicit = responses[String(res.status)];
    if (!explicit) {
      expect
        .soft(TRANSPORT_STATUSES, `${key} does not document ${res.status}: ${where}`)
        .toContain(res.status);
    }
    const documented = (explicit ?? responses.default) as OpenAPIV3.ResponseObject;
    const contentType = (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
    if (!documented.content) {
      expect(text, `${where}: documented without a body`).toBe("");
      return { status: res.status, text, json: () => ({}) };
    }
    const media = documented.content[contentType];
    expect
      .soft(media, `${where}: ${contentType} is not documented (${Object.keys(documented.content)})`)
      .toBeDefined();
    const schema = media?.schema;
    if (schema) {
      const value = contentType === "application/json" ? JSON.parse(text) : text;
      const validate = validator(`${key} ${res.status} ${contentType}`, schema);
      expect.soft(validate(value), `${where}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      if (res.status >= 400)
        expect(Object.keys(ERRORS)).toContain((value as { error: { code: string } }).error.code);
    }
    return { status: res.status, text, json: () => JSON.parse(text) };
  }

  const expectStatus = async (sent: Sent, status: number) => {
    const res = await call(sent);
    expect(res.status, `${sent.method} ${sent.path}: ${res.text.slice(0, 300)}`).toBe(status);
    return res;
  };
  const drain = async () => {
    for (let i = 0; i < 200; i++) {
      if ((await expectStatus({ method: "POST", path: "/api/tick/runners" }, 200)).json().remaining === 0)
        return;
    }
    throw new Error("did not drain");
  };

  it("answers every route's successes and errors as the document says", async () => {
    // Open routes.
    await expectStatus({ method: "GET", path: "/healthz", token: null }, 200);
    await expectStatus({ method: "GET", path: "/readyz", token: null }, 200);
    await expectStatus({ method: "GET", path: "/metrics", token: null }, 200);
    await expectStatus({ method: "GET", path: "/console", token: null }, 200);
    const origin = { origin: base };
    await expectStatus(
      { method: "POST", path: "/console/session", json: { token: "nope" }, headers: origin, token: null },
      401,
    );
    await expectStatus(
      { method: "POST", path: "/console/session", json: { token: TEST_TOKEN }, headers: origin, token: null },
      204,
    );
    await expectStatus({ method: "DELETE", path: "/console/session", headers: origin, token: null }, 204);
    await expectStatus({ method: "GET", path: "/api/whoami" }, 200);
    await expectStatus({ method: "GET", path: "/api/whoami", token: null }, 401);

    // Taxonomy.
    const taxonomy = {
      labels: [
        { name: "billing/refund", rules: { keywords: ["refund"] } },
        { name: "shipping", rules: { keywords: ["parcel"] } },
      ],
    };
    await expectStatus({ method: "PUT", path: "/api/taxonomy", json: taxonomy }, 200);
    await expectStatus({ method: "PUT", path: "/api/taxonomy", json: taxonomy, token: INGEST_TOKEN }, 403);
    await expectStatus({ method: "GET", path: "/api/taxonomy" }, 200);
    await expectStatus({ method: "GET", path: "/api/taxonomy/versions" }, 200);
    await expectStatus({ method: "GET", path: "/api/taxonomy/versions/1" }, 200);
    await expectStatus({ method: "GET", path: "/api/taxonomy/versions/99" }, 404);
    await expectStatus({ method: "GET", path: "/api/taxonomy/diff?from=0" }, 200);
    await expectStatus({ method: "GET", path: "/api/taxonomy/diff?from=x" }, 400);
    await expectStatus({ method: "POST", path: "/api/internal/taxonomy/preview", json: { taxonomy } }, 200);

    // Items.
    const conversation = { subject: "Refund", messages: [{ role: "customer", text: "refund my parcel" }] };
    await expectStatus({ method: "PUT", path: "/api/conversations/c1", json: conversation }, 201);
    await expectStatus({ method: "PUT", path: "/api/conversations/c1", json: conversation }, 200);
    await expectStatus({ method: "PUT", path: "/api/conversations/c2", json: { messages: 1 } }, 400);
    await expectStatus(
      {
        method: "PUT",
        path: "/api/conversations/c2",
        body: JSON.stringify(conversation),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      },
      415,
    );
    await expectStatus({ method: "GET", path: "/api/conversations/c1" }, 200);
    await expectStatus({ method: "GET", path: "/api/conversations/missing" }, 404);
    await expectStatus({ method: "GET", path: "/api/conversations" }, 200);
    await expectStatus({ method: "POST", path: "/api/notes/n1/versions", json: { text: "a refund" } }, 201);
    await expectStatus({ method: "GET", path: "/api/notes/n1" }, 200);
    await expectStatus({ method: "GET", path: "/api/notes/n1/versions/1" }, 200);
    await expectStatus({ method: "GET", path: "/api/notes/n1/versions/9" }, 404);
    await expectStatus({ method: "GET", path: "/api/notes" }, 200);
    await drain();
    await expectStatus({ method: "GET", path: "/api/items" }, 200);
    await expectStatus({ method: "GET", path: "/api/items/export" }, 200);
    await expectStatus({ method: "GET", path: "/api/items/export?format=csv" }, 200);

    // Labels.
    for (const [kind, id] of [
      ["conversations", "c1"],
      ["notes", "n1"],
    ]) {
      await expectStatus(
        { method: "POST", path: `/api/${kind}/${id}/labels`, json: { name: "shipping" } },
        200,
      );
      await expectStatus({ method: "DELETE", path: `/api/${kind}/${id}/labels/shipping` }, 200);
      await expectStatus({ method: "DELETE", path: `/api/${kind}/${id}/labels/shipping/override` }, 200);
      await expectStatus({ method: "GET", path: `/api/${kind}/${id}/labels/history` }, 200);
      await expectStatus({ method: "GET", path: `/api/${kind}/missing/labels/history` }, 404);
    }
    await expectStatus({ method: "GET", path: "/api/labels/billing%2Frefund/items" }, 200);
    await expectStatus({ method: "GET", path: "/api/labels/stats" }, 200);
    await expectStatus({ method: "GET", path: "/api/labels/trend?labels=billing%2Frefund" }, 200);
    await expectStatus({ method: "GET", path: "/api/overview" }, 200);
    await expectStatus({ method: "GET", path: "/api/internal/overview" }, 200);

    // The queue and the runners.
    const publish = { topic: "conversation_note_analysis", key: { conversation_fs_id: "c1" }, data: {} };
    await expectStatus({ method: "POST", path: "/api/internal/pubsub/publish", json: publish }, 202);
    await expectStatus(
      {
        method: "POST",
        path: "/api/internal/pubsub/publish",
        body: JSON.stringify(publish),
        headers: { "content-type": "text/plain;charset=UTF-8" },
      },
      202,
    );
    await expectStatus({ method: "GET", path: "/api/internal/pubsub/topics" }, 200);
    await expectStatus({ method: "GET", path: "/api/internal/pubsub/dead-letters" }, 200);
    await expectStatus({ method: "POST", path: "/api/internal/pubsub/dead-letters/redrive", json: {} }, 200);

    // Reanalysis.
    const job = (
      await expectStatus({ method: "POST", path: "/api/internal/labels/reanalysis?dry_run=true" }, 202)
    ).json();
    await expectStatus({ method: "GET", path: "/api/internal/labels/reanalysis" }, 200);
    await expectStatus({ method: "GET", path: `/api/internal/labels/reanalysis/${job.id}` }, 200);
    await expectStatus({ method: "GET", path: `/api/internal/labels/reanalysis/${job.id}/items` }, 200);
    await expectStatus({ method: "DELETE", path: `/api/internal/labels/reanalysis/${job.id}` }, 200);
    await expectStatus({ method: "GET", path: "/api/internal/labels/reanalysis/999999" }, 404);

    // Models: the errors without one, then a small one.
    const examples = { examples: [{ text: "refund", labels: ["refund"] }] };
    await expectStatus({ method: "POST", path: "/api/internal/labels/evaluate", json: examples }, 409);
    await expectStatus({ method: "GET", path: "/api/internal/models/1/evaluation" }, 404);
    await expectStatus({ method: "POST", path: "/api/internal/models/1/activate" }, 404);
    await trainModel(t.database, { file: { name: "train.csv", examples: TRAIN } });
    await expectStatus({ method: "GET", path: "/api/internal/models" }, 200);
    await expectStatus({ method: "POST", path: "/api/internal/models/1/activate" }, 200);
    await expectStatus({ method: "POST", path: "/api/internal/labels/evaluate", json: examples }, 200);
    await expectStatus({ method: "GET", path: "/api/internal/models/1/evaluation" }, 409);
    await expectStatus(
      { method: "POST", path: "/api/conversations/c1/labels", json: { name: "refund" } },
      200,
    );
    await expectStatus({ method: "GET", path: "/api/internal/models/1/evaluation" }, 200);

    // Erasure.
    await expectStatus({ method: "DELETE", path: "/api/conversations/c1" }, 204);
    await expectStatus({ method: "DELETE", path: "/api/conversations/c1" }, 404);
    await expectStatus({ method: "DELETE", path: "/api/notes/n1" }, 204);
    await expectStatus({ method: "DELETE", path: "/api/notes/n1" }, 404);

    // Every /api operation with a query parameter it does not take: a 400 in the documented shape.
    const sample: Record<string, string> = {
      fs_id: "c9",
      note_id: "n9",
      version: "1",
      id: "1",
      name: "shipping",
    };
    for (const { method, path } of operations.filter((o) => o.path.startsWith("/api/"))) {
      const url = path.replace(/\{([^}]+)\}/g, (_m, name: string) => sample[name] ?? "x");
      const res = await call({ method: method.toUpperCase(), path: `${url}?not_a_parameter=1` });
      expect(res.status, `${method} ${url}`).toBe(400);
    }

    for (const { method, path, operation } of operations) {
      const statuses = [...(seen.get(`${method.toUpperCase()} ${path}`) ?? [])];
      expect(
        statuses.some((s) => s < 300),
        `${method} ${path} (${operation.operationId}) was never answered with a success`,
      ).toBe(true);
      if (path.startsWith("/api/")) expect(statuses.some((s) => s >= 400)).toBe(true);
    }
  }, 180_000);

  it("answers the hostile-input table's requests as the document says", { timeout: 180_000 }, async () => {
    const simple = (c: HostileCase) =>
      c.transport !== "http" &&
      c.auth !== "cookie" &&
      !Object.values(c.headers ?? {}).some((v) => Array.isArray(v)) &&
      operationFor(c.method, c.path) !== undefined;
    const cases = CASES.filter(simple);
    expect(cases.length).toBeGreaterThan(100);
    for (const c of cases) {
      const headers = Object.fromEntries(
        Object.entries(c.headers ?? {}).map(([name, value]) => [
          name,
          String(value).replaceAll("{origin}", base),
        ]),
      );
      const token = c.auth === "none" ? null : c.auth === "ingest" ? INGEST_TOKEN : TEST_TOKEN;
      const res = await call({ method: c.method, path: c.path, headers, token, body: c.body, json: c.json });
      expect(res.status, c.name).toBeGreaterThanOrEqual(200);
    }
  });

  it("documents the error envelope once, as a named component, referenced by every error response", () => {
    expect(document.components?.schemas?.Error).toBeDefined();
    for (const { method, path, operation } of operations) {
      expect(operation.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
      expect(operation.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (status !== "default" && Number(status) < 400) continue;
        const content = (response as OpenAPIV3.ResponseObject).content?.["application/json"]?.schema;
        expect(content, `${method} ${path} ${status}`).toEqual({ $ref: "#/components/schemas/Error" });
      }
    }
    const ids = operations.map((o) => o.operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const declared = new Set(document.tags?.map((tag) => tag.name));
    for (const { operation } of operations)
      for (const tag of operation.tags ?? []) expect(declared).toContain(tag);
    expect(document.servers?.length).toBeGreaterThan(0);
    for (const path of ["/api/conversations/{fs_id}", "/api/notes/{note_id}"]) {
      expect(Object.keys(document.paths[path]?.delete?.responses ?? {})).toContain("204");
    }
  });
});
