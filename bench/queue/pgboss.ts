import pg from "pg";
import PgBoss from "pg-boss";
import { type Contender, type OnHandled, type QueueUnderTest, warmPool } from "./contender.js";

const QUEUE = "bench_noop";

export interface PgBossOptions {
  concurrency: number;
  batchSize: number;
  /** pg-boss polls; 0.5 s is the smallest interval it accepts. */
  pollingIntervalSeconds: number;
}

/**
 * pg-boss 10 as its docs set it up for throughput: one `work()` per
 * concurrent worker (v10 has no teamSize), each fetching `batchSize` jobs per
 * poll and completing them in one call; the queue created with
 * `createQueue` (required in v10), standard policy. Cron scheduling and
 * maintenance are off: the bench measures the queue, not its housekeeping.
 */
export function pgBossContender(options: PgBossOptions): Contender {
  return {
    name: "pg-boss (batch)",
    configuration:
      `${options.concurrency} × work() with batchSize ${options.batchSize}, ` +
      `pollingIntervalSeconds ${options.pollingIntervalSeconds} (its minimum), pool max 10, ` +
      "schedule and supervise off; bulk enqueue: insert(chunk) (one statement); single: send().",
    open: (url, schema) => openPgBoss(url, schema, options),
  };
}

async function openPgBoss(
  connectionString: string,
  schema: string,
  options: PgBossOptions,
): Promise<QueueUnderTest> {
  const boss = new PgBoss({ connectionString, schema, max: 10, schedule: false, supervise: false });
  boss.on("error", (err) => console.error(`pg-boss: ${err.message}`));
  await boss.start();
  await boss.createQueue(QUEUE);
  const counter = new pg.Pool({ connectionString, max: 1 });

  return {
    async enqueueBulk(from, count) {
      await boss.insert(Array.from({ length: count }, (_, k) => ({ name: QUEUE, data: { seq: from + k } })));
    },
    async enqueueOne(seq) {
      await boss.send(QUEUE, { seq });
    },
    async warmUp() {
      const db = boss.getDb();
      await warmPool((text) => db.executeSql(text, []), 10);
    },
    async startConsumers(onHandled: OnHandled) {
      const work = { batchSize: options.batchSize, pollingIntervalSeconds: options.pollingIntervalSeconds };
      for (let i = 0; i < options.concurrency; i++) {
        await boss.work<{ seq: number }>(QUEUE, work, async (jobs) => {
          for (const job of jobs) onHandled(job.data.seq);
        });
      }
    },
    async stopConsumers() {
      await boss.offWork(QUEUE);
    },
    async unfinished() {
      const { rows } = await counter.query<{ n: string }>(
        `select count(*) as n from ${schema}.job where name = $1 and state <> 'completed'`,
        [QUEUE],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async close() {
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
      await counter.end();
    },
  };
}
