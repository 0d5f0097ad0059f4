import { createHmac } from "node:crypto";
import cookie from "@fastify/cookie";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { tokenMatches } from "../auth/token.js";
import { AppError } from "../errors.js";
import { CONSOLE_PAGE } from "./console-page.js";

/**
 * Browser sessions, so the runbook's relative `fetch` calls (no Authorization
 * header) work from a devtools console on relabel's own origin. A person
 * enters the token once at /console; the session cookie is HttpOnly (page
 * scripts cannot read it), SameSite=Strict, and signed with a key derived
 * from the API token: every process sharing the token accepts it, none keeps
 * state, and rotating the token ends every session.
 */
export const SESSION_COOKIE = "relabel_session";
const SESSION_MS = 12 * 3_600_000;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function sessionKey(token: string): string {
  return createHmac("sha256", token).update("relabel browser session v1").digest("base64url");
}

/**
 * CSRF: a request that changes something and is authenticated only by the
 * cookie must come from relabel's own pages. Browsers send Origin on such
 * requests; Sec-Fetch-Site where Origin is absent.
 */
export function isSameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined) return origin === `${request.protocol}://${request.headers.host}`;
  return request.headers["sec-fetch-site"] === "same-origin";
}

/** True if the request carries a valid session cookie and, when it changes something, comes from our origin. */
export function sessionAuthenticates(request: FastifyRequest): boolean | "cross-origin" {
  const raw = request.cookies[SESSION_COOKIE];
  if (raw === undefined) return false;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || unsigned.value === null || !(Number(unsigned.value) > Date.now())) return false;
  if (!SAFE_METHODS.has(request.method) && !isSameOrigin(request)) return "cross-origin";
  return true;
}

function setSession(request: FastifyRequest, reply: FastifyReply): void {
  const expires = Date.now() + SESSION_MS;
  reply.setCookie(SESSION_COOKIE, String(expires), {
    signed: true,
    httpOnly: true,
    sameSite: "strict",
    secure: request.protocol === "https",
    path: "/",
    expires: new Date(expires),
  });
}

export async function installSessions(app: FastifyInstance, token: string): Promise<void> {
  await app.register(cookie, { secret: sessionKey(token), hook: "onRequest" });
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    "/console",
    { schema: { tags: ["console"], summary: "Sign in a browser for the runbook's requests" } },
    (_req, reply) =>
      reply
        .type("text/html; charset=utf-8")
        .header(
          "content-security-policy",
          "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
        )
        .send(CONSOLE_PAGE),
  );

  r.post(
    "/console/session",
    {
      schema: {
        tags: ["console"],
        summary: "Exchange the API token for a session cookie (same origin only)",
        body: z.strictObject({ token: z.string().min(1).max(1_000) }),
      },
    },
    async (request, reply) => {
      if (!isSameOrigin(request)) throw new AppError("cross_origin_refused");
      if (!tokenMatches(request.body.token, token))
        throw new AppError("unauthorized", "That is not the API token.");
      setSession(request, reply);
      return reply.code(204).send();
    },
  );

  r.delete(
    "/console/session",
    { schema: { tags: ["console"], summary: "Sign out" } },
    async (_request, reply) => {
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
      return reply.code(204).send();
    },
  );
}
