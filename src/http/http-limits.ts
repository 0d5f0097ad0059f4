import type { Server } from "node:http";
import type { Socket } from "node:net";
import type { FastifyBaseLogger, FastifyHttpOptions } from "fastify";

/**
 * How long a client may take and how many connections it may hold. Without
 * them a client that sends a byte every few seconds holds its connection (and
 * a file descriptor) for as long as it likes: thousands of such connections
 * exhausted the process's descriptors, and /healthz stopped answering.
 */
export interface HttpLimits {
  /** From a connection's first byte (or a keep-alive request's) to the end of its headers. */
  headersTimeoutMs: number;
  /**
   * From the start to the last byte of a whole request, body included. Must let
   * the largest body in (16 MiB to the evaluate route: 30 s is 4.5 Mbit/s).
   */
  requestTimeoutMs: number;
  /** How long a connection may wait, idle, for its next request. */
  keepAliveTimeoutMs: number;
  /**
   * Nothing moving on the socket either way, e.g. a client that stops reading
   * its answer. Longer than any request takes to handle (an evaluation may
   * compute for minutes before it answers).
   */
  idleTimeoutMs: number;
  /** Open connections in all; 0: no cap. */
  maxConnections: number;
  /** Open connections from one client address (an IPv6 client: its /64); 0: no cap. */
  maxConnectionsPerAddress: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 360_000,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 256,
});

/**
 * Fastify's and Node's options for the timeouts. Node checks the header and
 * request deadlines on a timer (every 30 s by default, which would let a
 * 10 s deadline run to 40 s); here it runs a few times within the shortest
 * deadline, at most once a second. A request past its deadline is answered
 * 408 `request_timeout` by the client-error handler and its socket closed.
 */
export function timeoutOptions(
  limits: HttpLimits,
): Pick<FastifyHttpOptions<Server>, "connectionTimeout" | "keepAliveTimeout" | "requestTimeout" | "http"> {
  const shortest = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return {
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(shortest / 4))),
    },
  };
}

/**
 * The key a connection counts against: its address, an IPv4-mapped IPv6
 * address as the IPv4 one, and an IPv6 address by its /64 (one client
 * usually holds a whole /64, so a per-address cap would not hold it).
 */
export function addressKey(address: string): string {
  const plain = address.replace(/%.*$/, "");
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(plain)) return plain.slice(7);
  if (!plain.includes(":")) return plain;
  const [head = "", tail] = plain.split("::");
  const groups = (text: string) => (text === "" ? [] : text.split(":"));
  // A dotted IPv4 tail stands for two groups.
  const width = (parts: string[]) => parts.reduce((n, part) => n + (part.includes(".") ? 2 : 1), 0);
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const full = [...front, ...Array(Math.max(0, 8 - width(front) - width(back))).fill("0"), ...back];
  return `${full
    .slice(0, 4)
    .map((group) => group.toLowerCase().replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/**
 * Caps connections in all (Node drops those past `maxConnections` as they
 * are accepted) and per client address (closed here as they open), so that
 * no one client can take every descriptor, and /healthz from anyone else
 * still answers. Refusals are logged at most once a minute, with a count.
 */
export function limitConnections(server: Server, limits: HttpLimits, log: FastifyBaseLogger): void {
  const refused = refusalLog(log);
  if (limits.maxConnections > 0) {
    server.maxConnections = limits.maxConnections;
    server.on("drop", (data?: { remoteAddress?: string }) =>
      refused(`more than ${limits.maxConnections} connections in all`, data?.remoteAddress),
    );
  }
  const cap = limits.maxConnectionsPerAddress;
  if (cap === 0) return;
  const open = new Map<string, number>();
  server.on("connection", (socket: Socket) => {
    if (socket.remoteAddress === undefined) return; // already gone
    const key = addressKey(socket.remoteAddress);
    const count = open.get(key) ?? 0;
    if (count >= cap) {
      socket.destroy();
      refused(`more than ${cap} connections from one address`, key);
      return;
    }
    open.set(key, count + 1);
    socket.once("close", () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left === 0) open.delete(key);
      else open.set(key, left);
    });
  });
}

function refusalLog(log: FastifyBaseLogger): (reason: string, address: string | undefined) => void {
  let count = 0;
  let loggedAt = Number.NEGATIVE_INFINITY;
  return (reason, address) => {
    count++;
    const now = Date.now();
    if (now - loggedAt < 60_000) return;
    log.warn({ refused: count, address }, `connections refused: ${reason}`);
    count = 0;
    loggedAt = now;
  };
}
