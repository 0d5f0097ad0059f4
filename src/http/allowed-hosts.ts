import type { FastifyRequest } from "fastify";
import { type HostPort, listenHostName, parseHost } from "./host.js";

/** Names that reach this machine only from itself: allowed with no configuration. */
export const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"] as const;

/**
 * The Host headers a browser session may be used under. DNS rebinding points
 * a name the attacker owns (evil.example) at 127.0.0.1, so a page of theirs
 * becomes "same origin" with relabel; its requests still carry their own
 * Host, so refusing unknown hosts takes that page's footing away. Allowed by
 * default: the loopback names and the HOST relabel listens on; more via
 * RELABEL_ALLOWED_HOSTS (the name a reverse proxy serves relabel under).
 *
 * An entry with a port allows that port only. An entry without one allows
 * the Host with no port (the scheme's default, as behind a proxy on 443) and
 * with the port the connection arrived on; never another port, which would
 * be another service on the same machine. Requests made with `inject` have no
 * socket, so no port to compare: their port is not checked.
 */
export class AllowedHosts {
  readonly #entries: HostPort[];

  constructor(options: { hosts?: readonly string[]; listenHost?: string } = {}) {
    const listen = options.listenHost === undefined ? undefined : listenHostName(options.listenHost);
    const names = [...LOOPBACK_HOSTS, ...(listen ? [listen] : []), ...(options.hosts ?? [])];
    this.#entries = names.map((name) => {
      const parsed = parseHost(name);
      if (!parsed) throw new Error(`allowed hosts: '${name}' is not a host[:port]`);
      return parsed;
    });
  }

  allows(request: FastifyRequest): boolean {
    const host = parseHost(request.headers.host ?? "");
    if (!host) return false;
    const arrivedOn = request.raw.socket?.localPort;
    return this.#entries.some(
      (entry) =>
        entry.name === host.name &&
        (entry.port !== undefined
          ? host.port === entry.port
          : host.port === undefined || arrivedOn === undefined || host.port === arrivedOn),
    );
  }
}
