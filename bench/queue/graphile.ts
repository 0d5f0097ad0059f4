import { Logger, makeWorkerUtils, type Runner, run, type WorkerUtils } from "graphile-worker";
import pg from "pg";
import { type Contender, type OnHandled, type QueueUnderTest, warmPool } from "./contender.js";

const TASK = "bench_noop";
const silent = new Logger(() => () => {});

export interface GraphileOptions {
  concurrency: number;
  /** Undefined: graphile-worker's defaults (each worker fetches its own job, completes it alone). */
  batching?: { localQueueSize: number; completeJobBatchDelay: number };
}

/**
 * graphile-worker 0.17 as its docs set it up: `run()` with a task list,
 * `concurrentJobs` workers in one process, `maxPoolSize` = max(10,
 * concurrency + 2) as the docs advise, LISTEN/NOTIFY for new jobs. With
 * batching: the "Batching" section of its performance page — a local queue
 * (one query locks a batch of jobs for every worker of the process) and
 * batched completion (`completeJobBatchDelay`, `failJobBatchDelay`).
 */
export function graphileContender(options: GraphileOptions): Contender {
  const maxPoolSize = Math.max(10, options.concurrency + 2);
  const batching = options.batching;
  return {
    name: batching ? "graphile-worker (localQueue)" : "graphile-worker",
    configuration:
      `run() with concurrentJobs ${options.concurrency}, maxPoolSize ${maxPoolSize}, ` +
      (batching
        ? `localQueue.size ${batching.localQueueSize}, completeJobBatchDelay ${batching.completeJobBatchDelay}, ` +
          `failJobBatchDelay ${batching.completeJobBatchDelay}`
        : "no localQueue, no completion batching (defaults)") +
      "; bulk enqueue: WorkerUtils.addJobs(chunk) (one add_jobs call); single: WorkerUtils.addJob().",
    open: (url, schema) => openGraphile(url, schema, options.concurrency, maxPoolSize, batching),
  };
}

async function openGraphile(
  connectionString: string,
  schema: string,
  concurrency: number,
  maxPoolSize: number,
  batching: GraphileOptions["batching"],
): Promise<QueueUnderTest> {
  // One pool for adding and running jobs (its `pgPool` option), sized as its docs advise.
  const pgPool = new pg.Pool({ connectionString, max: maxPoolSize });
  // Handlers on the pool and on each client, as graphile-worker asks of a pool it is given.
  const onError = (err: Error) => console.error(`graphile-worker pool: ${err.message}`);
  pgPool.on("error", onError);
  pgPool.on("connect", (client) => client.on("error", onError));
  const utils: WorkerUtils = await makeWorkerUtils({ pgPool, schema, logger: silent });
  await utils.migrate();
  let runner: Runner | undefined;

  return {
    async enqueueBulk(from, count) {
      const specs = Array.from({ length: count }, (_, k) => ({
        identifier: TASK,
        payload: { seq: from + k },
      }));
      await utils.addJobs(specs);
    },
    async enqueueOne(seq) {
      await utils.addJob(TASK, { seq });
    },
    async warmUp() {
      await warmPool((text) => pgPool.query(text), maxPoolSize);
    },
    async startConsumers(onHandled: OnHandled) {
      runner = await run({
        pgPool,
        schema,
        concurrency,
        maxPoolSize,
        noHandleSignals: true,
        logger: silent,
        taskList: {
          [TASK]: async (payload) => {
            onHandled((payload as { seq: number }).seq);
          },
        },
        preset: batching
          ? {
              worker: {
                localQueue: { size: batching.localQueueSize },
                completeJobBatchDelay: batching.completeJobBatchDelay,
                failJobBatchDelay: batching.completeJobBatchDelay,
              },
            }
          : {},
      });
    },
    async stopConsumers() {
      await runner?.stop();
      runner = undefined;
    },
    async unfinished() {
      // A completed job is deleted, so whatever is left is not finished.
      const { rows } = await pgPool.query<{ n: string }>(
        `select count(*) as n from ${schema}._private_jobs where task_id =
           (select id from ${schema}._private_tasks where identifier = $1)`,
        [TASK],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async close() {
      await runner?.stop();
      await utils.release();
      await pgPool.end();
    },
  };
}
