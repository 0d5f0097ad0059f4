import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import type { Database } from "../../src/db/database.js";
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
