import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { databaseErrorCode } from "../db/errors.js";
import { AppError, type ErrorCode, errorBody } from "../errors.js";

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
  const appError = toAppError(err);
  if (appError.code === "internal") request.log.error({ err }, "unhandled error");
  // A full disk or a lost database is the operator's to fix: say so, without a stack.
  else if (appError.status >= 500) request.log.warn({ err: (err as Error).message }, appError.message);
  return reply.code(appError.status).type("application/json; charset=utf-8").send(errorBody(appError));
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => sendError(err, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      new AppError("not_found", `No route ${request.method} ${request.url.split("?")[0]}.`),
      request,
      reply,
    ),
  );
}
