import type { FastifyRequest } from "fastify";
import secureJson from "secure-json-parse";
import { AppError } from "../errors.js";

/**
 * The JSON body parser. Fastify's own answers every failure with one message;
 * this one says what is wrong and where (JSON.parse's message has the
 * position), and names the refused prototype-poisoning keys. The runbook's
 * routes use it for text/plain too: a `fetch` with a string body and no
 * Content-Type sends `text/plain;charset=UTF-8`.
 */
export function parseJsonBody(
  request: FastifyRequest,
  body: string | Buffer,
  done: (err: Error | null, value?: unknown) => void,
): void {
  const text = body.toString();
  if (text.trim().length === 0) {
    // A plain-text POST with no body (the runbook's tick) has nothing to parse.
    if (request.headers["content-type"]?.startsWith("application/json")) {
      done(new AppError("invalid_json", "The body is empty; send a JSON object (at least {})."));
    } else done(null, undefined);
    return;
  }
  try {
    done(null, secureJson.parse(text, undefined, { protoAction: "error", constructorAction: "error" }));
  } catch (err) {
    const reason = (err as Error).message.includes("forbidden prototype property")
      ? "keys named __proto__ and constructor.prototype are refused"
      : (err as Error).message;
    done(new AppError("invalid_json", `The body is not acceptable JSON: ${reason}`));
  }
}
