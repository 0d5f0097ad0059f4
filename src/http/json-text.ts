import type { FastifyInstance } from "fastify";
import secureJson from "secure-json-parse";
import { AppError } from "../errors.js";

/**
 * The runbook's requests are `fetch` calls with a JSON string body and no
 * Content-Type, which browsers send as `text/plain;charset=UTF-8`. Routes
 * registered in `scope` read such a body as JSON (malformed JSON is still a
 * 400). Content-type parsers are encapsulated, so other routes keep refusing
 * text/plain.
 */
export function acceptJsonAsText(scope: FastifyInstance): void {
  scope.addContentTypeParser("text/plain", { parseAs: "string" }, (_request, body, done) => {
    if ((body as string).trim() === "") return done(null, undefined);
    try {
      done(null, secureJson.parse(body as string, undefined, { protoAction: "error", constructorAction: "error" }));
    } catch (err) {
      done(new AppError("invalid_json", `The body is not acceptable JSON: ${(err as Error).message}`), undefined);
    }
  });
}
