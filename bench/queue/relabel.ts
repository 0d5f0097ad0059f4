import { sql } from "kysely";
import { pino } from "pino";
import { parseDatabaseUrl } from "../../src/config.js";
import { openDatabase, transaction } from "../../src/db/database.js";
import { migrate } from "../../src/db/migrate.js";
import { publish } from "../../src/pubsub/publish.js";
import { TopicRegistry } from "../../src/pubsub/registry.js";
import type { TopicDefinition } from "../../src/pubsub/topic.js";
import { createWakeups } from "../../src/pubsub/wakeups.js";
import type { Runtime } from "../../src/runners/runtime.js";
import { RunnerPool } from "../../src/runners/worker.js";
import { type Contender, type OnHandled, type QueueUnderTest, warmPool } from "./contender.js";
import { urlWithSearchPath } from "./postgres.js";

const TOPIC = "bench_noop";

/** A topic as relabel's own are defined, but whose handler does nothing and commits nothing. */
function noopTopic(batchSize: number, onHandled: () => OnHandled | undefined): TopicDefinition {
  return {
    name: TOPIC,
    description: "queue bench: no-op handler",
    // Real topics validate their keys; this check is about as cheap as one can be.
    normalizeKey: async (_ex, key) => {
      if (typeof (key as { seq?: unknown }).seq !== "number") throw new Error("key: needs {seq}");
      return key as Record<string, unknown>;
    },
    maxAttempts: 3,
    backoff: { baseMs: 1_000, maxMs: 60_000 },
    batchSize,
    async handle(messages) {
      const handled = onHandled();
      for (const m of messages) handled?.(Number(m.key.seq));
      return { commit: async () => {} };
    },
  };
}

/**
 * relabel's pub/sub as the server runs it: `publish()` in the caller's
 * transaction, a RunnerPool of `concurrency` loops, LISTEN/NOTIFY wake-ups,
 * default lease (30 s) and poll interval (1 s).
 */
export function relabelContender(options: { concurrency: number; batchSize: number }): Contender {
  return {
    name: "relabel",
    configuration:
      `RunnerPool concurrency ${options.concurrency} (one loop each: claim a batch, handle, ack), ` +
      `topic batchSize ${options.batchSize}, its own pg.Pool (max 10) + 1 LISTEN connection; ` +
      "bulk enqueue: publish() per message, one transaction per chunk; single: one publish() per transaction.",
    open: (url, schema) => openRelabel(urlWithSearchPath(url, schema), options),
  };
}

async function openRelabel(
  url: string,
  options: { concurrency: number; batchSize: number },
): Promise<QueueUnderTest> {
  const logger = pino({ level: "silent" });
  const database = openDatabase(parseDatabaseUrl(url), logger);
  await migrate(database);
  const wakeups = await createWakeups(database, logger);
  let handled: OnHandled | undefined;
  const runtime: Runtime = {
    database,
    logger,
    topics: new TopicRegistry([noopTopic(options.batchSize, () => handled)]),
    wakeups,
    leaseMs: 30_000,
    retentionMs: 7 * 86_400_000,
  };
  let pool: RunnerPool | undefined;
  const publishOne = (trx: Parameters<typeof publish>[0], seq: number) =>
    publish(trx, runtime, { topic: TOPIC, key: { seq }, data: { seq } });

  return {
    async enqueueBulk(from, count) {
      await transaction(database, async (trx) => {
        // publish() is the only public way in; one awaited call per message, as an importer would.
        for (let seq = from; seq < from + count; seq++) await publishOne(trx, seq);
      });
    },
    async enqueueOne(seq) {
      await transaction(database, (trx) => publishOne(trx, seq));
    },
    async warmUp() {
      const pool = database.pool as NonNullable<typeof database.pool>;
      await warmPool((text) => pool.query(text), 10);
    },
    async startConsumers(onHandled) {
      handled = onHandled;
      pool = new RunnerPool(runtime, { concurrency: options.concurrency });
      pool.start();
    },
    async stopConsumers() {
      await pool?.stop();
      pool = undefined;
    },
    async unfinished() {
      const { rows } = await sql<{ n: number }>`select count(*) as n from messages
        where topic = ${TOPIC} and state <> 'done'`.execute(database.db);
      return Number(rows[0]?.n ?? 0);
    },
    async close() {
      await pool?.stop();
      await wakeups.close();
      await database.close();
    },
  };
}
