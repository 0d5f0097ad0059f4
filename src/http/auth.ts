import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Credentials, Scope } from "../auth/credentials.js";
import { AppError } from "../errors.js";
import { isMetered, type RateLimits } from "./rate-limit.js";
import type { SessionAuth } from "./session.js";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export const isApiPath = (path: string) => path === "/api" || path.startsWith("/api/");

/** The runners, the queue and the taxonomy: what only an admin token reaches. */
const ADMIN_PREFIXES = ["/api/internal/", "/api/tick/", "/api/taxonomy"];

export function requiredScope(path: string): Scope {
  return ADMIN_PREFIXES.some((prefix) => path.startsWith(prefix)) ? "admin" : "ingest";
}

/**
 * The path the router matched, not the raw URL: the router percent-decodes, so
 * a check on the raw URL would let `/%61pi/...` reach `/api` routes unchecked.
 * Unmatched requests (404s) are judged on their decoded path.
 */
export function routedPath(request: FastifyRequest): string {
  const route = request.routeOptions.url;
  if (route !== undefined) return route;
  const path = request.url.split("?")[0] ?? "";
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function authorizationHeaders(request: FastifyRequest): number {
  const raw = request.raw.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === "authorization") count++;
  return count;
}

/**
 * Every `/api` route needs `Authorization: Bearer <token>`, or a browser
 * session from /console (see session.ts), with the scope the route needs. A
 * token in the query string is never read: URLs end up in logs and browser
 * history. Unknown `/api` paths answer 401 before 404, so the routes cannot
 * be mapped without a token. Only sessions are bound to a Host and an origin:
 * a bearer token is presented on purpose, by curl or another machine, under
 * whatever name reaches the server.
 */
export function installAuth(
  app: FastifyInstance,
  credentials: Credentials,
  limits: RateLimits,
  sessions: SessionAuth,
): void {
  app.addHook("onRequest", async (request, reply) => {
    const path = routedPath(request);
    if (!isApiPath(path)) return;
    // Node keeps only the first of repeated Authorization headers; a request sending
    // several is ambiguous (which one did a proxy check?), so none of them counts.
    const presented =
      authorizationHeaders(request) > 1 ? "" : BEARER.exec(request.headers.authorization ?? "")?.[1];
    const principal = presented !== undefined ? credentials.identify(presented) : await sessions(request);
    if (principal === undefined) {
      await limits.authFailure(request, reply);
      // RFC 6750: a 401 names the scheme it wants, so clients and proxies know what to send.
      reply.header("www-authenticate", 'Bearer realm="relabel"');
      throw new AppError("unauthorized");
    }
    request.principal = principal;
    if (isMetered(path)) await limits.authenticated(request, reply);
    if (requiredScope(path) === "admin" && principal.scope !== "admin") {
      reply.header("www-authenticate", 'Bearer realm="relabel", error="insufficient_scope"');
      throw new AppError("insufficient_scope");
    }
  });
}
