import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";
import type { OpenAPIV3 } from "openapi-types";
import { ERRORS, type ErrorCode } from "../errors.js";
import { isApiPath, requiredScope } from "./auth.js";

/**
 * The OpenAPI document's contract, added centrally so no route can forget it:
 * every operation has an operationId, a description that says which token it
 * needs, and its error responses, each the catalog's envelope
 * (`#/components/schemas/Error`) with the codes that status carries. The
 * document passes `spectral lint` (spectral:oas) and `redocly lint`
 * (recommended) with no warning (`npm run lint`), and every answer of every
 * route validates against it (test/openapi-contract.test.ts).
 */

export const ERROR_SCHEMA_REF = "#/components/schemas/Error";

/** Every tag a route uses, declared once with what it groups. */
export const OPENAPI_TAGS: OpenAPIV3.TagObject[] = [
  { name: "conversations", description: "Conversations: create, replace, read, list and erase." },
  { name: "notes", description: "Notes: immutable versions appended to a note; read, list and erase." },
  { name: "items", description: "Conversations and notes in one list: filter, search and export." },
  {
    name: "labels",
    description: "Labels on items: set and removed by hand, their history, and queries and counts by label.",
  },
  { name: "taxonomy", description: "The taxonomy of labels: its versions, diffs and dry-run previews." },
  { name: "reanalysis", description: "Jobs that re-label every item in a time range (admin)." },
  { name: "pubsub", description: "The message queue: publish, topics' backlogs and dead letters (admin)." },
  { name: "runners", description: "Bounded passes of the runners, for cron and the runbook (admin)." },
  { name: "models", description: "Trained label models: versions, activation and evaluation (admin)." },
  { name: "overview", description: "Totals and per-label counts; queue health and running jobs (admin)." },
  { name: "auth", description: "Who a request is authenticated as." },
  { name: "console", description: "Browser sign-in for the runbook's requests (a session cookie)." },
  { name: "health", description: "Probes and metrics for orchestrators and monitoring; no token needed." },
];

/** The document's fixed parts; the paths come from the routes. */
export function openapiBase(version: string): Partial<OpenAPIV3.Document> {
  return {
    openapi: "3.0.3",
    info: {
      title: "relabel",
      description:
        "Label customer conversations and notes, and re-label them on demand. Every route under /api needs " +
        "`Authorization: Bearer <token>` (or a browser session from /console). Every error answers with the " +
        "catalog's envelope, `Error`: switch on `error.code`, show `error.message` to people.",
      version,
      license: { name: "MIT", url: "https://opensource.org/licenses/MIT" },
      contact: { name: "relabel" },
    },
    // Relative: the document describes the server that serves it, wherever that is.
    servers: [{ url: "/", description: "The server that serves this document" }],
    tags: OPENAPI_TAGS,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: { Error: errorSchema() },
    },
    security: [{ bearer: [] }],
  };
}

function errorSchema(): OpenAPIV3.SchemaObject {
  return {
    type: "object",
    description: "The error catalog's envelope: every 4xx and 5xx answer has this shape.",
    required: ["error"],
    additionalProperties: false,
    properties: {
      error: {
        type: "object",
        required: ["code", "message"],
        additionalProperties: false,
        properties: {
          code: {
            type: "string",
            description: "Stable: clients switch on it.",
            enum: Object.keys(ERRORS),
          },
          message: { type: "string", description: "For people; may be more specific than the catalog's." },
          details: {
            description:
              "More, where the code has it: e.g. `{issues: [{field, message}]}` for validation_failed and invalid_taxonomy.",
          },
        },
      },
    },
  };
}

type RouteTransform = typeof jsonSchemaTransform;

/** "METHOD /path" of the operations whose body may be left out (it accepts none): not `required`. */
const optionalBodies = new Set<string>();

const openapiPath = (url: string) => url.replace(/:(\w+)/g, "{$1}");

/**
 * Each route's schema: Zod to JSON Schema; routes outside /api need no token
 * (the document-wide bearer requirement is lifted); a 204 has no body.
 */
export const routeTransform: RouteTransform = (input) => {
  const out = jsonSchemaTransform(input);
  const schema: Record<string, unknown> = { ...out.schema };
  const response = schema.response as Record<string, unknown> | undefined;
  if (response?.["204"] !== undefined) {
    const described = (response["204"] as { description?: string }).description;
    // `type: null` is how @fastify/swagger is told a response has no content.
    schema.response = { ...response, 204: { type: "null", description: described ?? "No content" } };
  }
  if (!isApiPath(input.url)) schema.security = [];
  const body = input.schema?.body as { safeParse?: (value: unknown) => { success: boolean } } | undefined;
  if (body?.safeParse?.(undefined).success) {
    const methods = [input.route.method].flat();
    for (const method of methods) optionalBodies.add(`${method.toUpperCase()} ${openapiPath(input.url)}`);
  }
  return { ...out, schema };
};

/** Statuses an operation can answer beyond the general rules below, by "METHOD /path". */
const EXTRA_STATUSES: Record<string, number[]> = {
  "POST /api/notes/{note_id}/versions": [409],
  "POST /api/internal/labels/evaluate": [409, 422],
  "GET /api/internal/models/{version}/evaluation": [409, 422],
  "GET /api/labels/stats": [404],
  "GET /api/taxonomy/diff": [404],
  // The key names an item that must exist.
  "POST /api/internal/pubsub/publish": [404],
  // When a token is required for it (RELABEL_METRICS_TOKEN).
  "GET /metrics": [401, 429],
};

const BODY_METHODS = new Set(["post", "put", "patch"]);
const WRITE_METHODS = new Set(["post", "put", "patch", "delete"]);
/** Answered by the HTTP layer, not by an operation: documented by the `default` response. */
export const TRANSPORT_STATUSES = [405, 408, 414];

/** The error statuses an operation may answer, from what it is (path, method, parameters). */
function errorStatuses(method: string, path: string): number[] {
  const api = isApiPath(path);
  // 431: headers too large, whatever the route.
  const statuses = new Set<number>([431, 500, 503]);
  const consolePath = path.startsWith("/console/");
  if (api || consolePath) statuses.add(400).add(403);
  if (api) statuses.add(401).add(429);
  if (consolePath && method === "post") statuses.add(401).add(429);
  if (path.includes("{")) statuses.add(404);
  if (BODY_METHODS.has(method)) statuses.add(400).add(413).add(415);
  if (WRITE_METHODS.has(method) && (api || consolePath)) statuses.add(507);
  for (const extra of EXTRA_STATUSES[`${method.toUpperCase()} ${path}`] ?? []) statuses.add(extra);
  return [...statuses].sort((a, b) => a - b);
}

const codesFor = (status: number): ErrorCode[] =>
  (Object.keys(ERRORS) as ErrorCode[]).filter((code) => ERRORS[code].status === status);

function errorResponse(description: string): OpenAPIV3.ResponseObject {
  return { description, content: { "application/json": { schema: { $ref: ERROR_SCHEMA_REF } } } };
}

function statusDescription(status: number): string {
  const codes = codesFor(status).map((code) => `\`${code}\``);
  return `An error: \`error.code\` is ${codes.length === 1 ? codes[0] : `one of ${codes.join(", ")}`}.`;
}

/** Stable, from method and path: `DELETE /api/conversations/{fs_id}` is `deleteConversationsByFsId`. */
export function operationId(method: string, path: string): string {
  const pascal = (word: string) =>
    word
      .split(/[^A-Za-z0-9]+/)
      .filter(Boolean)
      .map((part) => part[0]?.toUpperCase() + part.slice(1))
      .join("");
  const words = path
    .split("/")
    .filter((segment) => segment !== "" && segment !== "api")
    .map((segment) => (segment.startsWith("{") ? `By${pascal(segment.slice(1, -1))}` : pascal(segment)));
  return method.toLowerCase() + words.join("");
}

function scopeSentence(path: string): string {
  if (path === "/metrics") return "Open, unless the server is configured to require a token for it.";
  if (!isApiPath(path)) return path.startsWith("/console") ? "No token needed." : "Open: no token needed.";
  return requiredScope(path) === "admin"
    ? "Needs an admin token (or an admin's browser session)."
    : "Any token, admin or ingest (or a browser session).";
}

/**
 * Nullability as OpenAPI 3.0.3 reads it: `nullable` needs a `type` beside it
 * (a nullable `anyOf` moves it onto its first member), and does not widen an
 * `enum`, which must list null itself.
 */
function fixNullable(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) fixNullable(item);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const schema = node as Record<string, unknown>;
  if (schema.nullable === true && schema.type === undefined && Array.isArray(schema.anyOf)) {
    const [first] = schema.anyOf as Record<string, unknown>[];
    if (first !== undefined && first.type !== undefined) {
      first.nullable = true;
      delete schema.nullable;
    }
  }
  if (schema.nullable === true && Array.isArray(schema.enum) && !schema.enum.includes(null)) {
    schema.enum = [...schema.enum, null];
  }
  for (const value of Object.values(schema)) fixNullable(value);
}

const SUCCESS: Record<string, string> = { 200: "OK", 201: "Created", 202: "Accepted", 204: "No content" };

/** Zod's registry yields an input and an output schema for each named one; only those referenced stay. */
function dropUnusedSchemas(document: OpenAPIV3.Document): void {
  const schemas = document.components?.schemas ?? {};
  for (;;) {
    const text = JSON.stringify(document);
    const unused = Object.keys(schemas).filter((name) => !text.includes(`"#/components/schemas/${name}"`));
    if (unused.length === 0) return;
    for (const name of unused) delete schemas[name];
  }
}

/** The whole document: named schemas from Zod's registry, then every operation completed. */
export const documentTransform: typeof jsonSchemaTransformObject = (input) => {
  const document = jsonSchemaTransformObject(input) as OpenAPIV3.Document;
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, value] of Object.entries(item ?? {})) {
      const operation = value as OpenAPIV3.OperationObject;
      operation.operationId ??= operationId(method, path);
      const body = operation.requestBody as OpenAPIV3.RequestBodyObject | undefined;
      if (body && optionalBodies.has(`${method.toUpperCase()} ${path}`)) body.required = false;
      if (path === "/metrics") operation.security = [{}, { bearer: [] }];
      const sentence = scopeSentence(path);
      const description = operation.description ?? (operation.summary ? `${operation.summary}.` : "");
      operation.description = description.includes(sentence)
        ? description
        : `${description} ${sentence}`.trim();
      for (const [status, response] of Object.entries(operation.responses)) {
        const described = response as OpenAPIV3.ResponseObject;
        if (described.description === "Default Response")
          described.description = SUCCESS[status] ?? "Success";
      }
      for (const status of errorStatuses(method, path)) {
        operation.responses[status] ??= errorResponse(statusDescription(status));
      }
      operation.responses.default ??= errorResponse(
        `Any other error, in the same envelope (e.g. ${TRANSPORT_STATUSES.join(", ")} from the HTTP layer).`,
      );
    }
  }
  fixNullable(document.paths);
  dropUnusedSchemas(document);
  return document;
};
