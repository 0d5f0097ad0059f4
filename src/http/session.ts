import cookie from "@fastify/cookie";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Credentials, Principal } from "../auth/credentials.js";
import type { Database } from "../db/database.js";
import { AppError } from "../errors.js";
import type { AllowedHosts } from "./allowed-hosts.js";
import { CONSOLE_CSP, CONSOLE_PAGE } from "./console-page.js";
import { ownOrigins, sameOrigin, sentFrom } from "./origin.js";
import type { RateLimits } from "./rate-limit.js";
import { SessionStore } from "./session-store.js";

/**
 * Browser sessions, so the runbook's relative `fetch` calls (no Authorization
 * header) work from a devtools console on relabel's own origin. A person
 * enters a token once at /console; the cookie (HttpOnly: page scripts cannot
 * read it; SameSite=Strict) carries a random session id, and the session
 * lives in the database (session-store.ts), so signing out ends it in every
 * process. It has the scope of the token that signed it in, for as long as
 * that token is configured.
 *
 * Cookies are not isolated by port: the browser sends this one to every
 * service on the same host. So a session is bound to the origin it was
 * signed in on (scheme://host:port) and refused under any other Host, and
 * under a Host that is not one of relabel's own (DNS rebinding). Over HTTPS
 * the cookie is `__Host-` prefixed: Secure, host-only, Path=/, so no sibling
 * domain and no plain-HTTP page can plant or overwrite it.
 */
export const SESSION_COOKIE = "relabel_session";
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;
export const SESSION_MS = 12 * 3_600_000;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

const isHttps = (origin: string) => origin.startsWith("https://");
const cookieName = (origin: string) => (isHttps(origin) ? SECURE_SESSION_COOKIE : SESSION_COOKIE);

/** The session cookie a request carries, and the name it came under. */
function presentedCookie(request: FastifyRequest): { name: string; id: string } | undefined {
  for (const name of [SECURE_SESSION_COOKIE, SESSION_COOKIE]) {
    const id = request.cookies[name];
    if (id !== undefined) return { name, id };
  }
  return undefined;
}

/** Resolves a request's browser session to its principal; see `installSessions`. */
export type SessionAuth = (request: FastifyRequest) => Promise<Principal | undefined>;

/**
 * Host first: a request under a Host that is not relabel's own is refused
 * before anything else is looked at.
 */
function checkHost(request: FastifyRequest, hosts: AllowedHosts): void {
  if (!hosts.allows(request)) {
    const host = JSON.stringify(request.headers.host ?? "");
    throw new AppError(
      "host_not_allowed",
      `Browser sessions are not served under the host ${host.slice(0, 300)}: add it to RELABEL_ALLOWED_HOSTS if it is relabel's own name.`,
    );
  }
}

export async function installSessions(
  app: FastifyInstance,
  options: { credentials: Credentials; limits: RateLimits; database: Database; hosts: AllowedHosts },
): Promise<SessionAuth> {
  const { credentials, limits, hosts } = options;
  const store = new SessionStore(options.database, SESSION_MS);
  await app.register(cookie, { hook: "onRequest" });
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    "/console",
    {
      schema: {
        tags: ["console"],
        summary: "Sign in a browser for the runbook's requests",
        produces: ["text/html"],
        response: { 200: z.string().describe("The sign-in page") },
      },
    },
    async (_req, reply) => {
      reply.type("text/html; charset=utf-8").header("content-security-policy", CONSOLE_CSP);
      return CONSOLE_PAGE;
    },
  );

  r.post(
    "/console/session",
    {
      schema: {
        tags: ["console"],
        summary: "Exchange the API token for a session cookie (same origin, relabel's own host only)",
        body: z.strictObject({ token: z.string().min(1).max(1_000) }),
        response: { 204: z.null().describe("Signed in: the session cookie is set") },
      },
    },
    async (request, reply) => {
      checkHost(request, hosts);
      const origin = sameOrigin(request);
      if (origin === undefined) throw new AppError("cross_origin_refused");
      const principal = credentials.identify(request.body.token);
      if (principal === undefined) {
        await limits.authFailure(request, reply);
        reply.header("www-authenticate", 'Bearer realm="relabel"');
        throw new AppError("unauthorized", "That is not a valid API token.");
      }
      const { id, expiresAt } = await store.create(principal, origin);
      setCookie(reply, cookieName(origin), id, new Date(expiresAt));
      return reply.code(204).send(null);
    },
  );

  r.delete(
    "/console/session",
    {
      schema: {
        tags: ["console"],
        summary: "Sign out: the session ends for every relabel process",
        response: { 204: z.null().describe("Signed out (or was not signed in)") },
      },
    },
    async (request, reply) => {
      const presented = presentedCookie(request);
      if (presented !== undefined) {
        // Anyone holding the cookie may end its session; but a page on another
        // origin (another port of this host gets the cookie too) may not sign us out.
        if (sameOrigin(request) === undefined) throw new AppError("cross_origin_refused");
        await store.revoke(presented.id);
        setCookie(reply, presented.name, "", new Date(0));
      }
      return reply.code(204).send(null);
    },
  );

  return async (request) => {
    const presented = presentedCookie(request);
    if (presented === undefined) return undefined;
    const session = await store.find(presented.id);
    // A session bound to an https origin is only ever set as __Host-; under the
    // plain name it was planted (by a sibling domain or a plain-HTTP page).
    if (session === undefined || presented.name !== cookieName(session.origin)) return undefined;
    checkHost(request, hosts);
    // Addressed to the origin that signed it in: not another port, not another name.
    if (!ownOrigins(request).includes(session.origin)) throw new AppError("cross_origin_refused");
    // A change must also come from that origin's pages (CSRF). A read need not:
    // another origin's page cannot see the answer, and reads change nothing.
    if (!SAFE_METHODS.has(request.method) && !sentFrom(request, session.origin)) {
      throw new AppError("cross_origin_refused");
    }
    // The token's scope now, not at sign-in; a session ends when its token is removed.
    return credentials.byTokenId(session.tokenId);
  };
}

function setCookie(reply: FastifyReply, name: string, value: string, expires: Date): void {
  reply.setCookie(name, value, {
    httpOnly: true,
    sameSite: "strict",
    secure: name === SECURE_SESSION_COOKIE,
    path: "/",
    expires,
  });
}
