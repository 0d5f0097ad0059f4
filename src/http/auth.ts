import type { FastifyInstance } from "fastify";
import { tokenMatches } from "../auth/token.js";
import { AppError } from "../errors.js";
import { sendError } from "./errors.js";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Every `/api` route needs `Authorization: Bearer <token>`. A token in the
 * query string is never read: URLs end up in logs and browser history.
 */
export function installAuth(app: FastifyInstance, token: string): void {
  app.addHook("onRequest", async (request, reply) => {
    if (!(request.url === "/api" || request.url.startsWith("/api/") || request.url.startsWith("/api?"))) return;
    const presented = BEARER.exec(request.headers.authorization ?? "")?.[1];
    if (presented !== undefined && tokenMatches(presented, token)) return;
    return sendError(new AppError("unauthorized"), request, reply);
  });
}
