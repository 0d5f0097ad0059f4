/**
 * A host as browsers name it in the Host header (`name[:port]`, IPv6 in
 * brackets), split and normalized: names are case-insensitive, a port is
 * 1–65535. No dependency on Fastify, so the configuration can validate
 * RELABEL_ALLOWED_HOSTS with the same parser the requests are checked with.
 */
export interface HostPort {
  name: string;
  /** Absent when the Host names none: the scheme's default port. */
  port?: number;
}

const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?)(?::(\d{1,5}))?$/i;

export function parseHost(value: string): HostPort | undefined {
  const match = HOST.exec(value);
  if (!match) return undefined;
  const name = (match[1] as string).toLowerCase();
  if (match[2] === undefined) return { name };
  const port = Number(match[2]);
  return port >= 1 && port <= 65535 ? { name, port } : undefined;
}

/** Interfaces that mean "every address": they name no host a browser could use. */
const WILDCARDS = new Set(["0.0.0.0", "::", "[::]"]);

/**
 * The host a server listening on `host` (the HOST setting) is reached by, in
 * Host-header form (`::1` becomes `[::1]`); none for a wildcard interface.
 */
export function listenHostName(host: string): string | undefined {
  if (WILDCARDS.has(host)) return undefined;
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
