import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { AppError, type ErrorCode, errorBody } from "../errors.js";

/** Fastify's own errors, mapped onto the catalog so every error body has one shape. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "body_too_large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_EMPTY_JSON_BODY: "invalid_json",
  FST_ERR_CTP_INVALID_JSON_BODY: "invalid_json",
  FST_ERR_MAX_PARAM_LENGTH: "uri_too_long",
  FST_ERR_BAD_URL: "bad_request",
};

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
  const fastifyError = err as FastifyError;
  if (hasZodFastifySchemaValidationErrors(err)) return validationError(err);
  const code = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (code) return new AppError(code);
  if (err instanceof SyntaxError && fastifyError.statusCode === 400) {
    // JSON.parse's messages say what is wrong and where; prototype-poisoning keys land here too.
    return new AppError("invalid_json", `The body is not acceptable JSON: ${err.message}`);
  }
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500)
    return new AppError("bad_request", fastifyError.message);
  return new AppError("internal");
}

export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const appError = toAppError(err);
  if (appError.code === "internal") request.log.error({ err }, "unhandled error");
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
