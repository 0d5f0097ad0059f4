import type { FastifyRequest } from "fastify";

/**
 * The origins a browser can be on when it sends this request to us, from the
 * Host it addressed: the connection's own scheme, and on a plain connection
 * https as well. Fastify's trustProxy is off (anyone who reaches the port
 * could send X-Forwarded-Proto), so behind a TLS-terminating proxy the
 * connection is plain while the browser's origin is https://<Host>; a page on
 * that origin is ours all the same, since the Host is.
 */
export function ownOrigins(request: FastifyRequest): string[] {
  const host = request.headers.host?.toLowerCase();
  if (host === undefined || host === "") return [];
  return request.protocol === "https" ? [`https://${host}`] : [`http://${host}`, `https://${host}`];
}

/**
 * The origin a request was sent from, if it is one of ours. Browsers send
 * Origin on every request that changes something; where one omits it,
 * Sec-Fetch-Site: same-origin vouches for the connection's own origin.
 * Undefined for another origin, `null` (a sandboxed or opaque one), or none.
 */
export function sameOrigin(request: FastifyRequest): string | undefined {
  const own = ownOrigins(request);
  const origin = request.headers.origin?.toLowerCase();
  if (origin !== undefined) return own.includes(origin) ? origin : undefined;
  return request.headers["sec-fetch-site"] === "same-origin" ? own[0] : undefined;
}

/**
 * Whether a request that changes something was sent by a page on `origin`:
 * its Origin header names it, or, where a browser omits Origin,
 * Sec-Fetch-Site says same-origin (the Host, checked apart, says which).
 */
export function sentFrom(request: FastifyRequest, origin: string): boolean {
  const header = request.headers.origin?.toLowerCase();
  if (header !== undefined) return header === origin;
  return request.headers["sec-fetch-site"] === "same-origin";
}
