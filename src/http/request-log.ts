import { type FastifyReply, type FastifyRequest, LogController } from "fastify";

/** Query parameters whose values are credentials if anyone ever sends them (relabel never reads them). */
const SECRET_PARAM = /token|key|secret|pass|auth|session|sig/i;

/** The URL as logged: the values of credential-like query parameters replaced. */
export function loggableUrl(url: string): string {
  const at = url.indexOf("?");
  if (at === -1) return url;
  const query = url
    .slice(at + 1)
    .split("&")
    .map((pair) => {
      const name = pair.split("=", 1)[0] ?? "";
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {}
      return SECRET_PARAM.test(decoded) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, at)}?${query.join("&")}`;
}

/**
 * What a request log line says about the request: never its headers (they
 * carry the token and the session cookie) nor its body (customer text).
 */
export function requestLogSerializer(request: FastifyRequest) {
  return {
    method: request.method,
    url: loggableUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
  };
}

/** Routes that machines poll every few seconds: Prometheus, and an orchestrator's probes. */
const POLLED_ROUTES = new Set(["/metrics", "/healthz", "/readyz"]);

const isPolled = (request: FastifyRequest) => {
  const route = request.routeOptions.url;
  return route !== undefined && POLLED_ROUTES.has(route);
};

/**
 * Fastify's request lines ("incoming request", "request completed"), at
 * debug for the polled routes when they answer below 400: two info lines per
 * scrape or probe would drown everything else. A failing probe (503), a
 * refused scrape (401) or an error still logs at info or above.
 */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    if (!isPolled(request)) super.incomingRequest(request, reply);
    else if (!this.isLogDisabled(request)) request.log.debug({ req: request }, "incoming request");
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error || reply.statusCode >= 400 || !isPolled(request)) super.requestCompleted(error, request, reply);
    else if (!this.isLogDisabled(request))
      reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, "request completed");
  }
}
