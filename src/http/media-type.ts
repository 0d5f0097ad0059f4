import type { FastifyRequest } from "fastify";
import { AppError } from "../errors.js";

/** A media type as a header gives it (parameters dropped), if it looks like one; never echoed otherwise. */
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,60}\/[a-z0-9!#$&^_.+-]{1,60}$/;

/**
 * The 415 a body in a media type the route does not read gets, saying exactly
 * what to send instead. A curl user's `-d '{…}'` is sent as a form
 * (application/x-www-form-urlencoded): the answer names the header to add.
 */
export function unsupportedMediaType(request: FastifyRequest): AppError {
  const header = request.headers["content-type"];
  const sent = header?.split(";")[0]?.trim().toLowerCase() ?? "";
  const got =
    sent === "" ? "no Content-Type" : MEDIA_TYPE.test(sent) ? `Content-Type ${sent}` : "that Content-Type";
  // The route's own parsers: the runbook's routes also read JSON sent as text/plain, PUT /api/taxonomy YAML.
  const also = [
    ...(request.server.hasContentTypeParser("text/plain") ? ["text/plain (holding JSON)"] : []),
    ...(request.server.hasContentTypeParser("application/yaml") ? ["application/yaml"] : []),
  ];
  const alternatives = also.length > 0 ? ` (this route also reads ${also.join(" and ")})` : "";
  const curl =
    sent === "application/x-www-form-urlencoded"
      ? " curl's -d sends a form: add -H 'content-type: application/json', or use --json instead of -d."
      : "";
  return new AppError(
    "unsupported_media_type",
    `Send the body as JSON with 'Content-Type: application/json'${alternatives}; this request had ${got}.${curl}`,
    { accepted: ["application/json", ...also.map((type) => type.split(" ")[0])] },
  );
}
