import type { FastifyRequest } from "fastify";

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
