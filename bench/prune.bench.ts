/**
 * Retention: how many finished messages a second one process prunes, on each
 * backend, with the defaults housekeeping uses (5,000 rows a transaction).
 * The queue finishes up to ~57,000 messages a second in the queue section and
 * a re-label up to ~15,500; pruning must at least keep up with that.
 *
 *   npx tsx bench/prune.bench.ts [--rows 300000]
 */
import { parseArgs } from "node:util";
import { transaction } from "../src/db/database.js";
import { pruneFinished } from "../src/pubsub/queue.js";
import { type Backend, openMigrated, scratchDatabase } from "./load-items.js";

const { values } = parseArgs({ options: { rows: { type: "string", default: "300000" } } });
const ROWS = Number(values.rows);
const DAY = 86_400_000;

async function measure(backend: Backend): Promise<number> {
  const scratch = await scratchDatabase(backend);
  const database = await openMigrated(scratch.url);
  try {
    const now = Date.now();
    for (let start = 0; start < ROWS; start += 2_000) {
      const rows = Array.from({ length: Math.min(2_000, ROWS - start) }, (_, k) => ({
        topic: "conversation_note_analysis",
        key: JSON.stringify({ conversation_fs_id: `c-${start + k}` }),
        data: "{}",
        state: "done" as const,
        priority: 10,
        attempts: 1,
        max_attempts: 5,
        run_at: now - 9 * DAY,
        created_at: now - 9 * DAY,
        finished_at: now - 8 * DAY,
      }));
      await transaction(database, (trx) => trx.insertInto("messages").values(rows).execute());
    }
    const started = performance.now();
    const pruned = await pruneFinished(database, 7 * DAY, now, { budgetMs: Number.POSITIVE_INFINITY });
    const seconds = (performance.now() - started) / 1000;
    if (pruned !== ROWS) throw new Error(`pruned ${pruned} of ${ROWS}`);
    return ROWS / seconds;
  } finally {
    await database.close();
    await scratch.drop();
  }
}

for (const backend of ["sqlite", "postgres"] as const) {
  const rate = await measure(backend);
  console.log(
    `${backend}: pruned ${ROWS.toLocaleString("en")} finished messages at ${Math.round(rate).toLocaleString("en")} rows/s`,
  );
}
