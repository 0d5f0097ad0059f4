import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import { AppError } from "../errors.js";

/**
 * Requests per minute per client address on `/api` (probes, docs and metrics
 * are not limited). Registered before authentication, so guessing tokens is
 * throttled too. The default leaves room for the runbook's tick loop and for
 * scripted imports over HTTP; `RELABEL_RATE_LIMIT=0` turns it off (e.g. behind
 * a proxy that limits already).
 */
export async function installRateLimit(app: FastifyInstance, perMinute: number): Promise<void> {
  if (perMinute === 0) return;
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new AppError("rate_limited", `More than ${context.max} requests a minute; retry in ${context.after}.`),
  });
  // A hook of the instance, not of each route: it runs before authentication (also an
  // instance hook, added later), so requests with a wrong token are counted too.
  app.addHook(
    "onRequest",
    app.rateLimit({
      max: perMinute,
      timeWindow: 60_000,
      allowList: (request) => !(request.url === "/api" || request.url.startsWith("/api/")),
    }),
  );
}
