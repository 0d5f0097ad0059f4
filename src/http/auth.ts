import type { FastifyInstance, FastifyRequest } from "fastify";
import { tokenMatches } from "../auth/token.js";
import { AppError } from "../errors.js";
import { sendError } from "./errors.js";
import { sessionAuthenticates } from "./session.js";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const isApiPath = (path: string) => path === "/api" || path.startsWith("/api/");

/**
 * The path the router matched, not the raw URL: the router percent-decodes, so
 * a check on the raw URL would let `/%61pi/...` reach `/api` routes unchecked.
 * Unmatched requests (404s) are judged on their decoded path.
 */
function routedPath(request: FastifyRequest): string {
  const route = request.routeOptions.url;
  if (route !== undefined) return route;
  const path = request.url.split("?")[0] ?? "";
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * Every `/api` route needs `Authorization: Bearer <token>`, or a browser
 * session from /console (see session.ts). A token in the query string is
 * never read: URLs end up in logs and browser history.
 */
export function installAuth(app: FastifyInstance, token: string): void {
  app.addHook("onRequest", async (request, reply) => {
    if (!isApiPath(routedPath(request))) return;
    const presented = BEARER.exec(request.headers.authorization ?? "")?.[1];
    if (presented !== undefined && tokenMatches(presented, token)) return;
    const session = presented === undefined ? sessionAuthenticates(request) : false;
    if (session === true) return;
    if (session === "cross-origin") return sendError(new AppError("cross_origin_refused"), request, reply);
    // RFC 6750: a 401 names the scheme it wants, so clients and proxies know what to send.
    reply.header("www-authenticate", 'Bearer realm="relabel"');
    return sendError(new AppError("unauthorized"), request, reply);
  });
}
