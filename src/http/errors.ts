import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { databaseErrorCode } from "../db/errors.js";
import { AppError, type ErrorCode, errorBody } from "../errors.js";
import { unsupportedMediaType } from "./media-type.js";

/** Fastify's own errors, mapped onto the catalog so every error body has one shape. */
const FASTIFY_CODES: Record<string, { code: ErrorCode; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: "body_too_large" },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: "unsupported_media_type" },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: "invalid_json" },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: "invalid_json" },
  FST_ERR_MAX_PARAM_LENGTH: { code: "uri_too_long" },
  FST_ERR_BAD_URL: {
    code: "bad_request",
    message: "The URL path is malformed: a %-escape is incomplete or does not decode to valid UTF-8.",
  },
};

/**
 * PostgreSQL refuses text it cannot store (NUL, invalid UTF-8) with these
 * codes. Such a value can only have come from the request, so it is the
 * client's error, not a 500; SQLite would have stored it.
 */
const PG_UNSTORABLE_TEXT = new Set(["22021", "22P05"]);

function validationError(err: {
  validation: { instancePath: string; message?: string }[];
  validationContext?: string;
}): AppError {
  const where = err.validationContext ?? "body";
  const issues = err.validation.map((v) => ({
    field: [where, ...v.instancePath.split("/").filter(Boolean)].join("."),
    message: v.message ?? "is invalid",
  }));
  const summary = issues.map((i) => `${i.field}: ${i.message}`).join("; ");
  return new AppError("validation_failed", summary || undefined, { issues });
}

/** Turns anything thrown into a catalog error; unknown errors become `internal` (logged, never shown). */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  // Anything can be thrown, null and strings included; only an object carries a code or a status.
  if (typeof err !== "object" || err === null) return new AppError("internal");
  const database = databaseErrorCode(err);
  if (database !== undefined) return new AppError(database);
  if (hasZodFastifySchemaValidationErrors(err)) return validationError(err);
  const { code, statusCode: status, message } = err as Partial<FastifyError>;
  // hasOwn: an error whose code is, say, "constructor" must not find Object.prototype's.
  const known = code !== undefined && Object.hasOwn(FASTIFY_CODES, code) ? FASTIFY_CODES[code] : undefined;
  if (known) return new AppError(known.code, known.message);
  if (code !== undefined && PG_UNSTORABLE_TEXT.has(code)) {
    return new AppError(
      "bad_request",
      "A value in the request contains characters that cannot be stored (e.g. NUL).",
    );
  }
  if (status !== undefined && status >= 400 && status < 500) return new AppError("bad_request", message);
  return new AppError("internal");
}

export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let appError = toAppError(err);
  // Say what to send instead, for this route.
  if (appError.code === "unsupported_media_type") appError = unsupportedMediaType(request);
  if (appError.code === "internal") request.log.error({ err }, "unhandled error");
  // A full disk or a lost database is the operator's to fix: say so, without a stack.
  else if (appError.status >= 500) request.log.warn({ err: (err as Error).message }, appError.message);
  // Helmet sets this too, but errors raised before routing (a bad URL, an over-long param) skip its hook.
  reply.header("x-content-type-options", "nosniff");
  return reply.code(appError.status).type("application/json; charset=utf-8").send(errorBody(appError));
}

/**
 * The routes' path patterns and methods, so that a known path asked with a
 * method it lacks is told apart from a path no route has: 405 with an
 * `Allow` header instead of 404. Matched segment by segment, each one
 * percent-decoded as the router does (so `%2F` stays inside its segment).
 */
class RouteTable {
  readonly #routes: { segments: (RegExp | "*")[]; methods: Set<string> }[] = [];

  add(url: string, method: string | string[]): void {
    const methods = new Set(Array.isArray(method) ? method : [method]);
    // The router answers HEAD wherever it answers GET.
    if (methods.has("GET")) methods.add("HEAD");
    const segments = url.split("/").map((segment): RegExp | "*" => {
      if (segment === "*") return "*";
      const parts = segment.split(/:\w+(?:\([^)]*\))?|\*/);
      const escaped = parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
      return new RegExp(`^${escaped.join(".*")}$`, "s");
    });
    this.#routes.push({ segments, methods });
  }

  /** The methods some route takes at this path, sorted; none if no route has the path. */
  allowed(path: string): string[] {
    let segments: string[];
    try {
      segments = path.split("/").map(decodeURIComponent);
    } catch {
      return [];
    }
    const allowed = new Set<string>();
    for (const route of this.#routes) {
      if (matches(route.segments, segments)) for (const m of route.methods) allowed.add(m);
    }
    return [...allowed].sort();
  }
}

function matches(pattern: (RegExp | "*")[], segments: string[]): boolean {
  for (const [i, part] of pattern.entries()) {
    if (part === "*") return true;
    const segment = segments[i];
    if (segment === undefined || !part.test(segment)) return false;
  }
  return pattern.length === segments.length;
}

/** Call before any route is added: routes added later (in any plugin) are recorded for the 405s. */
export function installErrorHandling(app: FastifyInstance): void {
  const routes = new RouteTable();
  app.addHook("onRoute", (route) => routes.add(route.url, route.method));
  app.setErrorHandler((err, request, reply) => sendError(err, request, reply));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    const allowed = routes.allowed(path);
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      reply.header("allow", allowed.join(", "));
      const message = `${request.method} is not allowed on ${path}; it takes ${allowed.join(", ")}.`;
      return sendError(new AppError("method_not_allowed", message), request, reply);
    }
    return sendError(new AppError("not_found", `No route ${request.method} ${path}.`), request, reply);
  });
}

/** Parse errors Node raises before Fastify sees a request, answered in the catalog's shape. */
const CLIENT_ERRORS: Record<string, { code: ErrorCode; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    code: "headers_too_large",
    message: "The request line and headers are larger than the server's limit (16 KiB).",
  },
  ERR_HTTP_REQUEST_TIMEOUT: { code: "request_timeout", message: "The request was not received in time." },
};

/**
 * For Fastify's `clientErrorHandler` option: a request Node cannot parse (an
 * unknown method, raw bytes that are not URL characters, headers past the
 * limit) gets a catalog error and `nosniff` like any other, not Node's bare
 * `{"error":"Bad Request"}`. The connection is closed: its framing is suspect.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const known =
    err.code !== undefined && Object.hasOwn(CLIENT_ERRORS, err.code) ? CLIENT_ERRORS[err.code] : undefined;
  const error = known
    ? new AppError(known.code, known.message)
    : new AppError(
        "bad_request",
        "The request is not valid HTTP/1.1: check the method, and percent-encode the URL's non-ASCII bytes.",
      );
  const body = JSON.stringify(errorBody(error));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? error.code}\r\n` +
        "Content-Type: application/json; charset=utf-8\r\n" +
        "X-Content-Type-Options: nosniff\r\n" +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        "Connection: close\r\n\r\n" +
        body,
    );
  }
  socket.destroy();
}
