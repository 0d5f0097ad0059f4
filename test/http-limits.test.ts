import net from "node:net";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Credentials } from "../src/auth/credentials.js";
import { loadConfig } from "../src/config.js";
import { addressKey, type HttpLimits } from "../src/http/http-limits.js";
import { buildServer } from "../src/http/server.js";
import { freshRuntime, TEST_TOKEN, type TestRuntime } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";

/**
 * Slow clients and connection floods, over real sockets (inject has none).
 * Timeouts are short here so the file runs in seconds; the assertions give
 * every deadline generous room, since a loaded machine runs timers late.
 */

/** A raw client connection: what it received, and when the server closed it. */
class Connection {
  readonly socket: net.Socket;
  received = "";
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(port: number, localAddress = "127.0.0.1") {
    this.socket = net.connect({ host: "127.0.0.1", port, localAddress });
    this.socket.setEncoding("utf8");
    this.socket.on("data", (chunk: string) => {
      this.received += chunk;
    });
    this.socket.on("error", () => {}); // a reset is one way of being closed
    this.closed = new Promise((resolve) => this.socket.once("close", () => resolve(Date.now())));
    // Refused connections may be closed before the client has seen them open.
    this.opened = new Promise((resolve) => {
      this.socket.once("connect", () => resolve());
      void this.closed.then(() => resolve());
    });
  }

  write(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text);
  }

  /** Sends `text` one byte every `everyMs` until the server closes the connection. */
  trickle(text: string, everyMs: number): void {
    let at = 0;
    const timer = setInterval(() => {
      if (at < text.length) this.write(text[at++] as string);
    }, everyMs);
    void this.closed.then(() => clearInterval(timer));
  }

  end(): void {
    this.socket.destroy();
  }
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** GET /healthz on a connection of its own; the status line's code. */
async function healthz(port: number, localAddress: string): Promise<number> {
  const c = new Connection(port, localAddress);
  c.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  await within(c.closed, 10_000, `/healthz from ${localAddress}`);
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(c.received)?.[1] ?? 0);
}

async function serve(t: TestRuntime, httpLimits: Partial<HttpLimits>): Promise<FastifyInstance> {
  const app = await buildServer({
    ...t.runtime,
    credentials: new Credentials({ admin: [TEST_TOKEN] }),
    httpLimits,
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  return app;
}

const portOf = (app: FastifyInstance) => (app.server.address() as net.AddressInfo).port;

describe.each(BACKENDS)("slow clients on %s", (backend) => {
  const HEADERS_MS = 500;
  // Long enough for a 16 MiB upload from a client on a loaded machine (the test below), short enough to wait for.
  const REQUEST_MS = 5_000;
  /** Room for the server's deadline check (a quarter of a deadline) and a machine under load. */
  const SLACK_MS = 8_000;
  let t: TestRuntime;
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    t = await freshRuntime(backend);
    app = await serve(t, {
      headersTimeoutMs: HEADERS_MS,
      requestTimeoutMs: REQUEST_MS,
      keepAliveTimeoutMs: 500,
    });
    port = portOf(app);
  });
  afterAll(async () => {
    await app.close();
    await t.cleanup();
  });

  /** Starts a request whose body then arrives a byte every 100 ms; the server must cut it off. */
  async function slowBody(head: string): Promise<{ elapsed: number; received: string }> {
    const c = new Connection(port);
    await c.opened;
    const started = Date.now();
    c.write(head);
    c.trickle(JSON.stringify({ token: "x".repeat(200) }), 100);
    const closedAt = await within(c.closed, REQUEST_MS + SLACK_MS, "a slow body");
    return { elapsed: closedAt - started, received: c.received };
  }

  it("cuts off an unauthenticated slow sign-in body with 408 request_timeout", async () => {
    const { elapsed, received } = await slowBody(
      `POST /console/session HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\n` +
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
    );
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(received).toContain('"code":"request_timeout"');
    // Not before its deadline, and well before the 40 s the trial saw.
    expect(elapsed).toBeGreaterThanOrEqual(REQUEST_MS - 100);
  });

  it("cuts off an authenticated slow PUT, and writes nothing", async () => {
    const { received } = await slowBody(
      `PUT /api/conversations/slow-1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        `Authorization: Bearer ${TEST_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
    );
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    const rows = await t.database.db.selectFrom("conversations").select("fs_id").execute();
    expect(rows).toEqual([]);
  });

  it("cuts off headers that never end", async () => {
    const c = new Connection(port);
    await c.opened;
    c.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    c.trickle("X-Slow: ".padEnd(200, "a"), 100);
    await within(c.closed, HEADERS_MS + SLACK_MS, "slow headers");
    expect(c.received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("closes a connection that sends nothing, and one left idle after its answer", async () => {
    const silent = new Connection(port);
    await within(silent.closed, HEADERS_MS + SLACK_MS, "a silent connection");
    const idle = new Connection(port);
    idle.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    await within(idle.closed, 500 + SLACK_MS, "an idle keep-alive connection");
    expect(idle.received).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("lets a fast 16 MiB upload to the evaluate route in under the same request timeout", async () => {
    const text = "refund ".repeat(11_000).trim();
    const examples = Array.from({ length: 215 }, () => ({ text, labels: ["billing/refund"] }));
    const body = JSON.stringify({ examples });
    expect(body.length).toBeGreaterThan(15.5 * 1024 * 1024);
    expect(body.length).toBeLessThan(16 * 1024 * 1024);
    const res = await fetch(`http://127.0.0.1:${port}/api/internal/labels/evaluate`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
      body,
    });
    // Taken in whole and read: a fresh database has no model to score with.
    const answer = (await res.json()) as { error?: { code: string } };
    expect(res.status).toBe(409);
    expect(answer.error?.code).toBe("no_active_model");
  });
});

describe("connection caps", () => {
  const PER_ADDRESS = 10;
  const TOTAL = 25;
  let t: TestRuntime;
  let app: FastifyInstance;
  let port: number;
  const open: Connection[] = [];

  /** Connections that start a request and wait: held, as a flood would hold them. */
  async function hold(count: number, localAddress: string): Promise<Connection[]> {
    const held = Array.from({ length: count }, () => new Connection(port, localAddress));
    open.push(...held);
    await Promise.all(held.map((c) => c.opened));
    for (const c of held) c.write("GET /healthz HTTP/1.1\r\n");
    return held;
  }

  async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    t = await freshRuntime("sqlite");
    app = await serve(t, {
      // Long deadlines: the held connections must outlive the test.
      headersTimeoutMs: 60_000,
      requestTimeoutMs: 60_000,
      maxConnectionsPerAddress: PER_ADDRESS,
      maxConnections: TOTAL,
    });
    port = portOf(app);
  });
  afterAll(async () => {
    for (const c of open) c.end();
    await app.close();
    await t.cleanup();
  });

  it("closes connections past the cap for one address, while others (and /healthz) are served", async () => {
    const first = await hold(PER_ADDRESS, "127.0.0.1");
    const extra = await hold(5, "127.0.0.1");
    await within(Promise.all(extra.map((c) => c.closed)), 10_000, "connections past the per-address cap");
    for (const c of extra) expect(c.received).toBe("");
    expect(await healthz(port, "127.0.0.2")).toBe(200);
    // The connections within the cap were never touched: each finishes its request.
    for (const c of first) c.write("Host: 127.0.0.1\r\nConnection: close\r\n\r\n");
    await within(Promise.all(first.map((c) => c.closed)), 10_000, "the held requests");
    for (const c of first) expect(c.received).toMatch(/^HTTP\/1\.1 200 /);
    // Their places are free again.
    await eventually(async () => (await healthz(port, "127.0.0.1")) === 200, "127.0.0.1 served again");
  });

  it("drops connections past the total cap, and serves again once some close", async () => {
    const held = [
      ...(await hold(PER_ADDRESS, "127.0.0.3")),
      ...(await hold(PER_ADDRESS, "127.0.0.4")),
      ...(await hold(TOTAL - 2 * PER_ADDRESS, "127.0.0.5")),
    ];
    const dropped = new Connection(port, "127.0.0.6");
    open.push(dropped);
    await within(dropped.closed, 10_000, "a connection past the total cap");
    expect(dropped.received).toBe("");
    for (const c of held.slice(0, 3)) c.end();
    await eventually(async () => (await healthz(port, "127.0.0.6")) === 200, "served after some closed");
  });
});

describe("addressKey", () => {
  it("counts IPv4 as is, IPv4-mapped IPv6 as IPv4, and IPv6 by its /64", () => {
    expect(addressKey("10.1.2.3")).toBe("10.1.2.3");
    expect(addressKey("::ffff:10.1.2.3")).toBe("10.1.2.3");
    expect(addressKey("2001:db8:0:1:aaaa::1")).toBe("2001:db8:0:1::/64");
    expect(addressKey("2001:db8:0:1:bbbb:cccc:dddd:eeee")).toBe("2001:db8:0:1::/64");
    expect(addressKey("2001:DB8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(addressKey("1::2:3:4:5:1.2.3.4")).toBe("1:0:2:3::/64");
  });
});

describe("timeouts and caps in the configuration", () => {
  it("has defaults, reads each variable, and refuses headers that may outlast the request", () => {
    expect(loadConfig({}).httpLimits).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      idleTimeoutMs: 360_000,
      maxConnections: 10_000,
      maxConnectionsPerAddress: 256,
    });
    const config = loadConfig({
      RELABEL_HEADERS_TIMEOUT_MS: "2000",
      RELABEL_REQUEST_TIMEOUT_MS: "60000",
      RELABEL_KEEP_ALIVE_TIMEOUT_MS: "1000",
      RELABEL_IDLE_TIMEOUT_MS: "90000",
      RELABEL_MAX_CONNECTIONS: "0",
      RELABEL_MAX_CONNECTIONS_PER_ADDRESS: "0",
    });
    expect(config.httpLimits).toEqual({
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 60_000,
      keepAliveTimeoutMs: 1_000,
      idleTimeoutMs: 90_000,
      maxConnections: 0,
      maxConnectionsPerAddress: 0,
    });
    expect(() =>
      loadConfig({ RELABEL_HEADERS_TIMEOUT_MS: "40000", RELABEL_REQUEST_TIMEOUT_MS: "30000" }),
    ).toThrow(/RELABEL_HEADERS_TIMEOUT_MS: must not exceed RELABEL_REQUEST_TIMEOUT_MS/);
    expect(() => loadConfig({ RELABEL_REQUEST_TIMEOUT_MS: "0" })).toThrow(/RELABEL_REQUEST_TIMEOUT_MS/);
  });
});
