import { EventEmitter } from "node:events";
import { sql } from "kysely";
import pg from "pg";
import type { Database, Executor } from "../db/database.js";
import type { Logger } from "../logger.js";

/**
 * Wake-ups tell idle runners that a message was published, so it is handled
 * in milliseconds rather than after a poll interval. Polling stays as the
 * fallback (other processes on one SQLite file, a lost notification).
 */
export interface Wakeups {
  /** Called inside the publishing transaction; fires once it commits. */
  notify(trx: Executor, topic: string): Promise<void>;
  /** Calls `listener` on every wake-up; returns the unsubscribe function. */
  subscribe(listener: (topic: string | undefined) => void): () => void;
  close(): Promise<void>;
}

/**
 * SQLite, in process: one connection, so a runner woken before the
 * publishing transaction commits waits for it on the connection anyway.
 */
export function localWakeups(): Wakeups {
  const events = new EventEmitter().setMaxListeners(0);
  return {
    async notify(_trx, topic) {
      setImmediate(() => events.emit("wake", topic));
    },
    subscribe(listener) {
      events.on("wake", listener);
      return () => events.off("wake", listener);
    },
    async close() {
      events.removeAllListeners();
    },
  };
}

const RECONNECT_MS = { min: 100, max: 5_000 };

/**
 * PostgreSQL: NOTIFY inside the publishing transaction (delivered on commit;
 * identical notifications in one transaction are folded into one) and a
 * dedicated LISTEN connection that reconnects and re-listens on its own. After
 * a reconnect it wakes everyone, since notifications sent meanwhile are lost.
 */
export async function postgresWakeups(database: Database, url: string, logger: Logger): Promise<Wakeups> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(database.db);
  // Notifications are database-wide: one channel per schema keeps deployments sharing a database apart.
  const channel = `relabel_wake:${rows[0]?.schema ?? "public"}`;
  const events = new EventEmitter().setMaxListeners(0);
  let client: pg.Client | undefined;
  let closed = false;
  let delay = RECONNECT_MS.min;

  const reconnectLater = () => {
    if (!closed) setTimeout(() => void connect(), delay).unref();
    delay = Math.min(delay * 2, RECONNECT_MS.max);
  };
  const connect = async (): Promise<void> => {
    if (closed) return;
    const next = new pg.Client({ connectionString: url });
    next.on("notification", (n) => events.emit("wake", n.payload));
    next.on("error", (err) => logger.warn({ err: err.message }, "wake-up listener lost its connection"));
    next.on("end", () => {
      if (client !== next) return; // a failed connect is retried below
      client = undefined;
      reconnectLater();
    });
    try {
      await next.connect();
      await next.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
      client = next;
      delay = RECONNECT_MS.min;
      events.emit("wake", undefined);
    } catch (err) {
      logger.warn(
        { err: (err as Error).message, retry_ms: delay },
        "wake-up listener cannot connect; retrying",
      );
      await next.end().catch(() => {});
      reconnectLater();
    }
  };
  await connect();

  return {
    async notify(trx, topic) {
      await sql`select pg_notify(${channel}, ${topic})`.execute(trx);
    },
    subscribe(listener) {
      events.on("wake", listener);
      return () => events.off("wake", listener);
    },
    async close() {
      closed = true;
      events.removeAllListeners();
      await client?.end().catch(() => {});
    },
  };
}

export async function createWakeups(database: Database, logger: Logger): Promise<Wakeups> {
  return database.connectionString === undefined
    ? localWakeups()
    : postgresWakeups(database, database.connectionString, logger);
}
