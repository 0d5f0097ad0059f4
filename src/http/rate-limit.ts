import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Principal } from "../auth/credentials.js";
import { AppError } from "../errors.js";

export interface RateLimitOptions {
  /** Requests a second per token (or browser session); 0: no limit. */
  perTokenPerSecond: number;
  /** Failed authentications a minute per client address; 0: no limit. */
  authFailuresPerMinute: number;
}

/** Counts one request against a limit; throws `rate_limited` (with Retry-After) past it. */
export type Limiter = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface RateLimits {
  /** Called for each failed authentication (a wrong, missing or expired credential). */
  authFailure: Limiter;
  /** Called for each authenticated /api request. */
  authenticated: Limiter;
}

const unlimited: Limiter = async () => {};

/**
 * Paths no per-token limit applies to. A tick is bounded work (admin scope
 * only), and the runbook's loop calls it back to back: on an empty queue a
 * tick takes 1–5 ms, so the loop as written (1,000 calls) ran past 200 a
 * second and most of its calls were refused.
 */
const UNMETERED_PATHS = new Set(["/api/tick/runners"]);

export function isMetered(path: string): boolean {
  return !UNMETERED_PATHS.has(path);
}

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/**
 * Two limits, both in memory per process (a deployment of several processes
 * multiplies them). Authenticated traffic is limited per token, generously:
 * the runbook's tick loop and bulk imports must never be slowed, only a
 * runaway client. Failed authentications are limited per client address,
 * tightly, so nobody can try tokens (or flood the logs) at speed, while a
 * valid token from the same address still gets through: a client behind a
 * shared NAT is not locked out by a neighbour guessing.
 */
export async function installRateLimits(
  app: FastifyInstance,
  options: RateLimitOptions,
): Promise<RateLimits> {
  await app.register(rateLimit, { global: false });
  const limiter = (
    max: number,
    timeWindow: number,
    key: (request: FastifyRequest) => string,
    what: string,
  ): Limiter => {
    if (max === 0) return unlimited;
    const count = app.createRateLimit({ max, timeWindow, keyGenerator: key });
    return async (request, reply) => {
      const result = await count(request);
      if (result.isAllowed || !result.isExceeded) return;
      reply.header("retry-after", result.ttlInSeconds);
      throw new AppError(
        "rate_limited",
        `More than ${max} ${what} in ${timeWindow / 1000} s; retry in ${result.ttlInSeconds} s.`,
      );
    };
  };
  return {
    authFailure: limiter(
      options.authFailuresPerMinute,
      60_000,
      (request) => request.ip,
      "failed authentications from this address",
    ),
    authenticated: limiter(
      options.perTokenPerSecond,
      1_000,
      (request) => request.principal?.tokenId ?? request.ip,
      "requests with this token",
    ),
  };
}
