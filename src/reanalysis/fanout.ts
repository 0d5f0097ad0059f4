import { type RawBuilder, sql } from "kysely";
import { ANALYSIS_TOPIC, PREVIEW_TOPIC } from "../analysis/topic.js";
import type { Database, Executor } from "../db/database.js";
import type { JobType, ReanalysisJobsTable } from "../db/schema.js";
import { AppError } from "../errors.js";
import { enqueue, PRIORITY, type Publisher } from "../pubsub/publish.js";
import type { TopicDefinition } from "../pubsub/topic.js";
import { finishIdleJobs } from "./accounting.js";

export const FANOUT_TOPIC = "reanalysis_fanout";
/** Items enqueued per fan-out step: one INSERT … SELECT, small enough to keep a transaction short. */
export const FANOUT_CHUNK = 2_000;

type Kind = "conversation" | "note";
type Job = Omit<
  ReanalysisJobsTable,
  "id" | "total" | "enqueued" | "done" | "failed" | "skipped" | "items_changed" | "cursor_walk"
> & {
  id: number;
  total: number;
  enqueued: number;
  cursor_walk: Walk;
};

type Walk = "time" | "id";

const TABLES = {
  conversation: { table: "conversations", id: "fs_id" },
  note: { table: "notes", id: "note_id" },
} as const;

export function kindsOf(type: JobType): Kind[] {
  if (type === "conversations") return ["conversation"];
  if (type === "notes") return ["note"];
  return ["conversation", "note"];
}

/**
 * How many items a job's range holds, counted when the job is created so that
 * its first answer has a total and its first progress an ETA. One count per
 * kind over the (updated_at, id) index, which holds everything the count
 * reads (an index-only scan); a dry run counts no further than its sample.
 */
export async function countRange(
  ex: Executor,
  range: { type: JobType; from: number; until: number },
  limit: number | null,
): Promise<number> {
  let total = 0;
  for (const kind of kindsOf(range.type)) {
    const table = sql.table(TABLES[kind].table);
    const inRange = sql`updated_at >= ${range.from} and updated_at <= ${range.until}`;
    const query =
      limit === null
        ? sql<{ n: number }>`select count(*) as n from ${table} where ${inRange}`
        : sql<{
            n: number;
          }>`select count(*) as n from (select 1 from ${table} where ${inRange} limit ${limit - total}) s`;
    total += Number((await query.execute(ex)).rows[0]?.n ?? 0);
    if (limit !== null && total >= limit) return limit;
  }
  return total;
}

/** A JSON string literal of a text column, as JSON.stringify writes it (ids hold no control characters). */
function jsonText(database: Database, column: RawBuilder<unknown>): RawBuilder<string> {
  return database.dialect === "postgres" ? sql`to_json(${column})::text` : sql`json_quote(${column})`;
}

/**
 * How to walk a kind of item: by id when most items of the kind are in the
 * range (a batch of neighbouring ids writes to a few pages of each index
 * keyed by item: a 100k first labeling through `serve`, SQLite 13.0k →
 * 14.7k items/s, PostgreSQL 9.2k → 9.9k), else by time, which reads only
 * the range.
 */
async function chooseWalk(trx: Executor, job: Job, kind: Kind): Promise<Walk> {
  const { table } = TABLES[kind];
  const { rows } = await sql<{ inside: number; total: number }>`select
    (select count(*) from ${sql.table(table)} where updated_at >= ${job.from_ms} and updated_at <= ${job.until_ms}) as inside,
    (select count(*) from ${sql.table(table)}) as total`.execute(trx);
  const { inside, total } = rows[0] ?? { inside: 0, total: 0 };
  return Number(inside) * 2 >= Number(total) ? "id" : "time";
}

/**
 * The items of one chunk, keyset-ordered over the job's range (by time or by
 * id, see chooseWalk), with their message keys built in SQL exactly as
 * `canonicalKey` builds them in code (fields sorted), so dedup against live
 * messages works.
 */
function chunkSource(database: Database, job: Job, kind: Kind, walk: Walk, limit: number) {
  const preview = job.dry_run === 1;
  const jobField = preview ? sql.raw(`"job_id":${Number(job.id)}`) : undefined;
  const id = sql.ref(TABLES[kind].id);
  const resumes = job.cursor_kind === kind && job.cursor_id !== null;
  const after = !resumes
    ? sql``
    : walk === "id"
      ? sql`and ${id} > ${job.cursor_id}`
      : sql`and (updated_at, ${id}) > (${job.cursor_at}, ${job.cursor_id})`;
  const order = walk === "id" ? id : sql`updated_at, ${id}`;
  if (kind === "conversation") {
    const key = jobField
      ? sql`'{"conversation_fs_id":' || ${jsonText(database, sql.ref("fs_id"))} || ',' || '${jobField}' || '}'`
      : sql`'{"conversation_fs_id":' || ${jsonText(database, sql.ref("fs_id"))} || '}'`;
    return sql`select ${key} as key, updated_at as at, fs_id as id from conversations
      where updated_at >= ${job.from_ms} and updated_at <= ${job.until_ms} ${after}
      order by ${order} limit ${limit}`;
  }
  const tail = sql`${jsonText(database, sql.ref("note_id"))} || ',"note_version":' || latest_version || '}'`;
  const key = jobField ? sql`'{${jobField},"note_id":' || ${tail}` : sql`'{"note_id":' || ${tail}`;
  return sql`select ${key} as key, updated_at as at, note_id as id from notes
    where updated_at >= ${job.from_ms} and updated_at <= ${job.until_ms} ${after}
    order by ${order} limit ${limit}`;
}

/**
 * One fan-out step, in the transaction that acks its message: enqueue the next
 * chunk of the range (one INSERT … SELECT; keys already pending are shared,
 * not doubled, and locked so no runner takes them before the job waits on
 * them), record that the job waits on those messages, advance the cursor. A
 * crash anywhere rolls the step back and the step runs again: resumable.
 */
async function fanOutStep(
  database: Database,
  trx: Executor,
  publisher: Publisher,
  jobId: number,
  now: number,
): Promise<void> {
  const job = (await trx
    .selectFrom("reanalysis_jobs")
    .selectAll()
    .where("id", "=", jobId)
    .executeTakeFirst()) as Job | undefined;
  if (job?.status !== "fanning_out") return; // cancelled meanwhile, or a repeated step
  const kinds = kindsOf(job.type);
  const kind = job.cursor_kind ?? (kinds[0] as Kind);
  // A kind's first step chooses how to walk it; the choice is kept with the cursor.
  const starting = job.cursor_kind !== kind || job.cursor_id === null;
  const walk = starting ? await chooseWalk(trx, job, kind) : job.cursor_walk;
  const room =
    job.sample_limit === null ? FANOUT_CHUNK : Math.min(FANOUT_CHUNK, job.sample_limit - job.enqueued);
  const topic = publisher.topics.get(job.dry_run === 1 ? PREVIEW_TOPIC : ANALYSIS_TOPIC);
  const data = database.dialect === "postgres" ? sql`'{}'::jsonb` : sql`'{}'`;

  const rows =
    room <= 0
      ? []
      : (
          await sql<{
            id: number;
          }>`insert into messages (topic, key, data, state, priority, attempts, max_attempts, run_at, created_at)
          select ${topic.name}, src.key, ${data}, 'pending', ${PRIORITY.bulk}, 0, ${topic.maxAttempts}, ${now}, ${now}
          from (${chunkSource(database, job, kind, walk, room)}) src where true
          on conflict (topic, key) where state = 'pending' do update set priority = messages.priority
          returning id`.execute(trx)
        ).rows;
  for (let i = 0; i < rows.length; i += 5_000) {
    await trx
      .insertInto("reanalysis_job_messages")
      .values(rows.slice(i, i + 5_000).map((r) => ({ job_id: job.id, message_id: Number(r.id) })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  const last =
    rows.length === 0
      ? undefined
      : (
          await sql<{
            at: number;
            id: string;
          }>`select at, id from (${chunkSource(database, job, kind, walk, rows.length)}) src
            order by ${walk === "id" ? sql`id desc` : sql`at desc, id desc`} limit 1`.execute(trx)
        ).rows[0];

  const kindDone = rows.length < room;
  const nextKind = kindDone ? kinds[kinds.indexOf(kind) + 1] : kind;
  const finished = room <= 0 || nextKind === undefined;
  // The total was counted when the job was created. Items that entered the
  // range since raise it as they are found (never below what is enqueued);
  // when fan-out ends it is what was enqueued, exactly.
  const enqueued = Number(job.enqueued) + rows.length;
  await trx
    .updateTable("reanalysis_jobs")
    .set({
      total: finished ? enqueued : Math.max(Number(job.total), enqueued),
      enqueued,
      cursor_kind: finished ? job.cursor_kind : nextKind,
      cursor_at: kindDone ? null : (last?.at ?? job.cursor_at),
      cursor_id: kindDone ? null : (last?.id ?? job.cursor_id),
      cursor_walk: walk,
      ...(finished ? { status: "running" as const, fanned_out_at: now } : {}),
    })
    .where("id", "=", job.id)
    .execute();
  if (finished) await finishIdleJobs(trx, [job.id], now);
  else await enqueue(trx, publisher, { topic: FANOUT_TOPIC, key: { job_id: job.id } });
}

/** The fan-out topic: each message is one step of one job; the next step is a new message. */
export function fanOutTopic(): TopicDefinition {
  return {
    name: FANOUT_TOPIC,
    description: "Internal: enqueue the next chunk of a reanalysis job's range.",
    normalizeKey: async () => {
      throw new AppError(
        "invalid_key",
        "key: this topic is internal; start a job with POST /api/internal/labels/reanalysis",
      );
    },
    maxAttempts: 10,
    backoff: { baseMs: 1_000, maxMs: 60_000 },
    batchSize: 1,
    async handle(_messages, context) {
      return {
        async commit(trx, acked) {
          for (const m of acked)
            await fanOutStep(context.database, trx, context, Number(m.key.job_id), Date.now());
        },
      };
    },
  };
}
