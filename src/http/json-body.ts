import type { FastifyRequest } from "fastify";
import secureJson from "secure-json-parse";
import { AppError } from "../errors.js";

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The body as text, or undefined if it is not valid UTF-8: invalid bytes must
 * not be stored as U+FFFD in place of what the client meant. A Buffer
 * (`parseAs: "buffer"`) is decoded strictly. A string was decoded by Fastify,
 * which replaces invalid bytes with U+FFFD; valid UTF-8 re-encodes to exactly
 * the bytes received, so a length that differs from Content-Length means some
 * were replaced (a chunked body has no length to compare; only a Buffer
 * catches everything).
 */
function decodeUtf8(request: FastifyRequest, body: string | Buffer): string | undefined {
  if (typeof body !== "string") {
    try {
      return UTF8.decode(body);
    } catch {
      return undefined;
    }
  }
  const declared = request.headers["content-length"];
  if (declared !== undefined && body.includes("\uFFFD") && Buffer.byteLength(body) !== Number(declared)) {
    return undefined;
  }
  return body;
}

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
  const text = decodeUtf8(request, body);
  if (text === undefined) {
    done(
      new AppError(
        "invalid_json",
        "The body is not valid UTF-8; JSON must be sent as UTF-8 (non-ASCII characters as UTF-8 bytes or \\u escapes).",
      ),
    );
    return;
  }
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
