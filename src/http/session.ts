import { createHmac } from "node:crypto";
import cookie from "@fastify/cookie";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Credentials, Principal } from "../auth/credentials.js";
import { AppError } from "../errors.js";
import { CONSOLE_CSP, CONSOLE_PAGE } from "./console-page.js";
import type { RateLimits } from "./rate-limit.js";

/**
 * Browser sessions, so the runbook's relative `fetch` calls (no Authorization
 * header) work from a devtools console on relabel's own origin. A person
 * enters a token once at /console; the session cookie is HttpOnly (page
 * scripts cannot read it), SameSite=Strict, names the token's id (not the
 * token), and is signed with a key derived from the first admin token (and checked against
 * keys from all of them): every process sharing the tokens accepts it, none
 * keeps state, and a session lives as long as the admin token it was signed
 * under stays configured.
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

/**
 * The session's principal if the request carries a valid session cookie and,
 * when it changes something, comes from our origin.
 */
export function sessionPrincipal(
  request: FastifyRequest,
  credentials: Credentials,
): Principal | "cross-origin" | undefined {
  const raw = request.cookies[SESSION_COOKIE];
  if (raw === undefined) return undefined;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || unsigned.value === null) return undefined;
  const [expires, tokenId] = unsigned.value.split(".");
  if (!(Number(expires) > Date.now()) || tokenId === undefined) return undefined;
  // The token's scope now, not at sign-in; a session ends when its token is removed.
  const principal = credentials.byTokenId(tokenId);
  if (principal === undefined) return undefined;
  if (!SAFE_METHODS.has(request.method) && !isSameOrigin(request)) return "cross-origin";
  return principal;
}

function setSession(request: FastifyRequest, reply: FastifyReply, principal: Principal): void {
  const expires = Date.now() + SESSION_MS;
  reply.setCookie(SESSION_COOKIE, `${expires}.${principal.tokenId}`, {
    signed: true,
    httpOnly: true,
    sameSite: "strict",
    secure: request.protocol === "https",
    path: "/",
    expires: new Date(expires),
  });
}

export async function installSessions(
  app: FastifyInstance,
  credentials: Credentials,
  limits: RateLimits,
): Promise<void> {
  // Signed with the first key, accepted under any: sessions survive an admin token's rotation.
  await app.register(cookie, { secret: credentials.adminTokens.map(sessionKey), hook: "onRequest" });
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    "/console",
    { schema: { tags: ["console"], summary: "Sign in a browser for the runbook's requests" } },
    (_req, reply) =>
      reply
        .type("text/html; charset=utf-8")
        .header("content-security-policy", CONSOLE_CSP)
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
      const principal = credentials.identify(request.body.token);
      if (principal === undefined) {
        await limits.authFailure(request, reply);
        reply.header("www-authenticate", 'Bearer realm="relabel"');
        throw new AppError("unauthorized", "That is not a valid API token.");
      }
      setSession(request, reply, principal);
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
