import { sql } from "kysely";
import { type Database, type Executor, transaction } from "../db/database.js";
import { readJson } from "../db/schema.js";
import { fitPage } from "../page-budget.js";
import { toIso } from "../time.js";
import { requeue } from "./queue.js";

export interface DeadLetter {
  id: number;
  topic: string;
  key: Record<string, unknown>;
  data: Record<string, unknown>;
  attempts: number;
  last_error: string | null;
  created_at: string;
  failed_at: string | null;
}

export interface DeadLetterQuery {
  topic?: string;
  afterId?: number;
  limit: number;
}

/**
 * Dead-lettered messages, oldest first, keyset-paginated by id; a page is
 * bounded by count and by the size of the messages' data (see page-budget.ts).
 */
export async function listDeadLetters(
  ex: Executor,
  query: DeadLetterQuery,
): Promise<{ items: DeadLetter[]; next_cursor: string | null }> {
  let sizes = ex
    .selectFrom("messages")
    .select(["id", sql<number>`length(cast(data as text)) + length(key)`.as("bytes")])
    .where("state", "=", "failed")
    .orderBy("id")
    .limit(query.limit + 1);
  if (query.topic !== undefined) sizes = sizes.where("topic", "=", query.topic);
  if (query.afterId !== undefined) sizes = sizes.where("id", ">", query.afterId);
  const fetched = await sizes.execute();
  const candidates = fetched.slice(0, query.limit);
  const ids = candidates.slice(0, fitPage(candidates.map((c) => Number(c.bytes)))).map((c) => c.id);
  const rows =
    ids.length === 0
      ? []
      : await ex.selectFrom("messages").selectAll().where("id", "in", ids).orderBy("id").execute();
  const page = rows.filter((r) => r.state === "failed");
  const more = fetched.length > ids.length;
  return {
    items: page.map((r) => ({
      id: r.id,
      topic: r.topic,
      key: JSON.parse(r.key),
      data: readJson(r.data),
      attempts: r.attempts,
      last_error: r.last_error,
      created_at: toIso(r.created_at),
      failed_at: r.finished_at === null ? null : toIso(r.finished_at),
    })),
    next_cursor: more && ids.length > 0 ? String(ids[ids.length - 1]) : null,
  };
}

export interface RedriveResult {
  /** Dead letters put back to pending with fresh attempts. */
  redriven: number;
  /** Dead letters whose key was already pending: folded into that message. */
  folded: number;
}

const REDRIVE_CHUNK = 1_000;

/** Gives dead letters (the given ids, or all of a topic, or all) a fresh set of attempts. */
export async function redrive(
  database: Database,
  selection: { ids?: number[]; topic?: string },
): Promise<RedriveResult> {
  const result: RedriveResult = { redriven: 0, folded: 0 };
  let afterId = 0;
  for (;;) {
    // Everything the transaction found is returned, not kept: it may run again (database.ts).
    const chunk = await transaction(database, async (trx) => {
      let q = trx
        .selectFrom("messages")
        .select("id")
        .where("state", "=", "failed")
        .where("id", ">", afterId)
        .orderBy("id")
        .limit(REDRIVE_CHUNK);
      if (selection.ids !== undefined)
        q = q.where("id", "in", selection.ids.length > 0 ? selection.ids : [-1]);
      if (selection.topic !== undefined) q = q.where("topic", "=", selection.topic);
      const ids = (await q.execute()).map((r) => r.id);
      if (ids.length === 0) return { ids, requeued: 0, folded: 0 };
      return { ids, ...(await requeue(trx, ids, { attempts: 0, last_error: null })) };
    });
    result.redriven += chunk.requeued;
    result.folded += chunk.folded;
    afterId = chunk.ids[chunk.ids.length - 1] ?? afterId;
    const done = chunk.ids.length < REDRIVE_CHUNK;
    if (done) return result;
  }
}
