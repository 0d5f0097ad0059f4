import { fileURLToPath } from "node:url";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { sql } from "kysely";
import { parseDatabaseUrl } from "../../src/config.js";
import { type Database, openDatabase } from "../../src/db/database.js";
import { insertConversations } from "../helpers/bulk.js";
import { CLI, runCli } from "../helpers/cli.js";
import { type Spawned, waitFor } from "../helpers/processes.js";

export const TAXONOMY = fileURLToPath(new URL("../../examples/taxonomy.yaml", import.meta.url));
export const TOKEN = "fault-token-0123456789abcdef";

/** Customer text that the example taxonomy labels (refund, shipping, churn …). */
const TEXTS = [
  "I was charged twice, please refund me",
  "my parcel never arrived and tracking shows nothing",
  "I want to cancel my subscription, this is the last straw",
  "how do I reset my password",
  "the app crashes when I open settings",
];

/** The example taxonomy and `count` conversations (without analysis messages: a reanalysis makes them). */
export async function seedItems(database: Database, url: string, count: number): Promise<void> {
  const applied = await runCli(["taxonomy", "apply", TAXONOMY], { DATABASE_URL: url });
  if (applied.code !== 0) throw new Error(`taxonomy apply failed: ${applied.stderr}`);
  await insertConversations(database, count, {
    prefix: "fault",
    text: (i) => `${TEXTS[i % TEXTS.length]} (case ${i})`,
  });
}

/** Starts a reanalysis of every item through the CLI, as a user would; returns the job id. */
export async function startReanalysis(url: string): Promise<number> {
  const r = await runCli(["reanalyze", "--from", "2000-01-01"], { DATABASE_URL: url });
  const id = /job (\d+)/i.exec(r.stdout + r.stderr)?.[1];
  if (r.code !== 0 || id === undefined) throw new Error(`reanalyze failed: ${r.stdout}${r.stderr}`);
  return Number(id);
}

export async function messageCounts(database: Database): Promise<Record<string, number>> {
  const rows = await database.db
    .selectFrom("messages")
    .select(["state", (eb) => eb.fn.countAll().as("n")])
    .groupBy("state")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/**
 * What a test that waited in vain for a job should print: the job's row, how
 * many messages it still waits on, message counts per topic and state (with
 * the most attempts and lease expiries among them), and each message of
 * `topic` that is not done: state, attempts, lease expiries, lease left or
 * due in (ms), last error. Read on a connection of its own (`url`), so it
 * works when the process under test has no free connection.
 */
export async function queueDiagnostics(url: string, jobId: number, topic: string): Promise<string> {
  const database = openDatabase(parseDatabaseUrl(url));
  try {
    const now = Date.now();
    const job = await database.db
      .selectFrom("reanalysis_jobs")
      .selectAll()
      .where("id", "=", jobId)
      .executeTakeFirst();
    const waiting = await database.db
      .selectFrom("reanalysis_job_messages")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("job_id", "=", jobId)
      .executeTakeFirstOrThrow();
    const counts = await database.db
      .selectFrom("messages")
      .select([
        "topic",
        "state",
        (eb) => eb.fn.countAll().as("n"),
        (eb) => eb.fn.max("attempts").as("max_attempts"),
        (eb) => eb.fn.max("lease_expiries").as("max_lease_expiries"),
      ])
      .groupBy(["topic", "state"])
      .execute();
    const open = await database.db
      .selectFrom("messages")
      .select(["id", "state", "attempts", "lease_expiries", "lease_expires_at", "run_at", "last_error"])
      .where("topic", "=", topic)
      .where("state", "<>", "done")
      .orderBy("id")
      .limit(200)
      .execute();
    const lines = open.map(
      (m) =>
        `  #${m.id} ${m.state} attempts=${m.attempts} lease_expiries=${m.lease_expiries} ` +
        (m.lease_expires_at === null
          ? `due_in_ms=${Number(m.run_at) - now}`
          : `lease_left_ms=${Number(m.lease_expires_at) - now}`) +
        (m.last_error ? ` last_error=${JSON.stringify(m.last_error.slice(0, 120))}` : ""),
    );
    return [
      `job: ${JSON.stringify(job)}`,
      `job waits on ${Number(waiting.n)} messages`,
      ...counts.map((c) => `messages ${JSON.stringify(c)}`),
      `${topic}, not done:`,
      ...lines,
    ].join("\n");
  } catch (err) {
    return `(diagnostics failed: ${(err as Error).message})`;
  } finally {
    await database.close();
  }
}

/**
 * Waits for job `jobId` to be done, as a client would (`GET` its report),
 * noting every second the message counts per state. On timeout, throws with
 * the queue's state (see queueDiagnostics), that timeline and `output` (a
 * spawned runner's log), so a stall in CI says where it stood.
 */
export async function waitForJobDone(
  api: (request: InjectOptions) => Promise<LightMyRequestResponse>,
  options: { url: string; jobId: number; topic: string; timeoutMs: number; output?: () => string },
): Promise<Record<string, unknown>> {
  const { url, jobId, topic, timeoutMs, output } = options;
  const timeline: string[] = [];
  const began = Date.now();
  const probe = openDatabase(parseDatabaseUrl(url));
  try {
    for (;;) {
      const response = await api({ method: "GET", url: `/api/internal/labels/reanalysis/${jobId}` });
      const job = response.statusCode === 200 ? (response.json() as Record<string, unknown>) : undefined;
      if (job?.status === "done") return job;
      const elapsed = Date.now() - began;
      if (timeline.length < elapsed / 1_000) {
        const counts = await messageCounts(probe).catch((err: Error) => err.message);
        timeline.push(
          `  ${elapsed} ms: ${job ? `job ${job.status} done=${job.done}` : `GET ${response.statusCode}`}, messages ${JSON.stringify(counts)}`,
        );
      }
      if (elapsed > timeoutMs) {
        throw new Error(
          [
            `job ${jobId} not done after ${timeoutMs} ms`,
            await queueDiagnostics(url, jobId, topic),
            "timeline:",
            ...timeline,
            ...(output ? ["runner output (last 4,000 characters):", output().slice(-4_000)] : []),
          ].join("\n"),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await probe.close();
  }
}

/** Items whose number of analysis runs is not exactly `expected`. */
export async function itemsNotRunExactly(database: Database, expected: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*) as n from (
      select c.fs_id, count(r.item_id) as runs
      from conversations c
      left join analysis_runs r on r.item_type = 'conversation' and r.item_id = c.fs_id
      group by c.fs_id
    ) per_item where runs <> ${expected}`.execute(database.db);
  return Number(rows[0]?.n);
}

/** Messages that took effect more than once (more than one analysis run recorded for them). */
export async function messagesRunTwice(database: Database): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*) as n from (
      select message_id from analysis_runs group by message_id having count(*) > 1
    ) twice`.execute(database.db);
  return Number(rows[0]?.n);
}

/** How many of these messages are done. */
export async function countDone(database: Database, ids: number[]): Promise<number> {
  const row = await database.db
    .selectFrom("messages")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("id", "in", ids)
    .where("state", "=", "done")
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Waits until runners are mid-job: some analysis done, a batch claimed right now. */
export function waitForWorkInFlight(database: Database): Promise<true> {
  return waitFor(
    "a batch in flight",
    async () => {
      const c = await messageCounts(database);
      return (c.done ?? 0) > 500 && (c.running ?? 0) > 0 ? true : undefined;
    },
    60_000,
    5,
  );
}

/** The base URL a spawned `relabel serve --port 0` listens on, once it does. */
export function listeningUrl(server: Spawned): Promise<string> {
  return waitFor(
    "the server to listen",
    async () => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())?.[1],
  );
}

export { CLI };
