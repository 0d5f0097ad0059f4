/**
 * The runbook's way vs ours: wall time to re-label N freshly loaded synthetic
 * items (seed 42, example taxonomy) through `relabel serve`, from the runbook's
 * reanalysis request until the job is done, driven by
 *   - the runbook's sequential tick loop, verbatim (RELABEL_WORKERS=0),
 *   - the README's loop that ticks until `remaining` is 0 (RELABEL_WORKERS=0),
 *   - continuous runners inside serve (RELABEL_WORKERS=1 and 2),
 *   - `relabel drain` next to a serve with RELABEL_WORKERS=0,
 *   - `relabel reanalyze --wait` (starts its own job; no HTTP),
 * on SQLite and PostgreSQL. Every row gets its own scratch database.
 *
 *   npx tsx bench/runbook.bench.ts [--items 10000] [--backend sqlite|postgres|both] [--quick] [--pg URL] [--no-build]
 *
 * Progress goes to stderr; the last stdout line is the JSON result.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { spawnNode } from "../test/helpers/processes.js";
import { runbookTickLoop, runInConsole } from "../test/helpers/runbook.js";
import {
  type Backend,
  DEFAULT_PG_URL,
  loadItems,
  openMigrated,
  SYNTHETIC_END,
  SYNTHETIC_START,
  scratchDatabase,
} from "./load-items.js";
import { AUTH, api, build, CLI, ROOT, type Served, serve } from "./runbook/serve.js";

const { values } = parseArgs({
  options: {
    items: { type: "string" },
    backend: { type: "string", default: "both" },
    quick: { type: "boolean", default: false },
    pg: { type: "string", default: DEFAULT_PG_URL },
    "no-build": { type: "boolean", default: false },
  },
});
const items = Number(values.items ?? (values.quick ? 2_000 : 10_000));
const backends: Backend[] = values.backend === "both" ? ["sqlite", "postgres"] : [values.backend as Backend];
const FROM = SYNTHETIC_START.toISOString();
const UNTIL = SYNTHETIC_END.toISOString();
const POLL_MS = 50;

interface Job {
  id: number;
  status: string;
  created_at: string;
  finished_at: string | null;
  total: number;
  done: number;
  failed: number;
  skipped: number;
}

interface Row {
  backend: Backend;
  way: string;
  workers: number;
  seconds: number;
  /** The job's own finished_at − created_at: no client, no poll interval. */
  job_seconds: number;
  calls: number | null;
  items_per_s: number;
  /** Calls the loop made that did not answer 2xx (the runbook's loop counts them as failed). */
  failed_calls?: number;
  note?: string;
}

/** The runbook's reanalysis request, with its query parameters, as pasted in the console. */
async function startJob(origin: string): Promise<Job> {
  const script = `fetch('/api/internal/labels/reanalysis?from=${FROM}&until=${UNTIL}', {method: "POST"})`;
  const [answer = ""] = await runInConsole(script, origin, AUTH);
  const status = answer.slice(0, answer.indexOf(" "));
  if (status !== "202") throw new Error(`reanalysis request: ${answer}`);
  return JSON.parse(answer.slice(answer.indexOf(" ") + 1)) as Job;
}

const getJob = (origin: string, id: number) => api<Job>(origin, `/api/internal/labels/reanalysis/${id}`);

/** The README's "How many ticks? Read `remaining`" loop, verbatim, in a function so it may await. */
function readmeLoop(): string {
  const readme = readFileSync(`${ROOT}/README.md`, "utf8");
  const start = readme.indexOf("for (let r; !r || r.remaining > 0; ) {");
  const end = readme.indexOf("\n}\n", start) + 2;
  if (start < 0) throw new Error("README: the remaining loop is gone");
  // runInConsole returns the promise of a final `runFetchSequentially();` line.
  return `async function runFetchSequentially() {\n${readme.slice(start, end)}\n}\nrunFetchSequentially();`;
}

interface Outcome {
  calls?: number;
  failed_calls?: number;
  /** Set when the CLI did not exit after its job was done: the row's time is then the job's. */
  note?: string;
}
type Way = (origin: string, databaseUrl: string) => Promise<Outcome>;

async function untilDone(origin: string, id: number): Promise<Job> {
  for (;;) {
    const job = await getJob(origin, id);
    if (job.status === "done") return job;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

const EXIT_GRACE_MS = 2_000; // a CLI closes in well under 100 ms once its work is done

/**
 * Runs `args` of the CLI on the server's database until it exits; rejects on a
 * non-zero exit. A CLI still running EXIT_GRACE_MS after the newest job is
 * done is killed, and the outcome says so (a hang must not hang the benchmark).
 */
async function cli(args: string[], origin: string, databaseUrl: string): Promise<Outcome> {
  const child = spawnNode([CLI, ...args], { DATABASE_URL: databaseUrl });
  let code: number | null | undefined;
  void child.exited.then((c) => {
    code = c;
  });
  let doneAt: number | undefined;
  while (code === undefined) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (doneAt === undefined) {
      const { items: jobs } = await api<{ items: Job[] }>(origin, "/api/internal/labels/reanalysis");
      if (jobs[0]?.status === "done") doneAt = performance.now();
    } else if (performance.now() - doneAt > EXIT_GRACE_MS) {
      child.child.kill("SIGKILL");
      await child.exited;
      const note = `relabel ${args[0]} had not exited ${EXIT_GRACE_MS / 1000} s after its job was done: killed`;
      process.stderr.write(`  ${note}\n`);
      return { note };
    }
  }
  if (code !== 0) throw new Error(`relabel ${args.join(" ")} exited ${code}:\n${child.output()}`);
  return {};
}

let neededCalls: number | undefined; // the README loop's count, reused as the runbook's totalCalls

const ways: { name: string; workers: number; run: Way }[] = [
  {
    // First: its count of calls is what an operator would have to guess right for the runbook.
    name: "README loop until remaining = 0",
    workers: 0,
    async run(origin) {
      const job = await startJob(origin);
      const lines = await runInConsole(readmeLoop(), origin, AUTH);
      if ((await getJob(origin, job.id)).status !== "done") throw new Error("README loop ended early");
      neededCalls = lines.length;
      return { calls: lines.length };
    },
  },
  {
    name: "runbook tick loop, totalCalls = calls needed",
    workers: 0,
    async run(origin) {
      const job = await startJob(origin);
      // Verbatim but for totalCalls: exactly the calls the README loop needed. Should that be too
      // few this time, the operator runs the script again, one call at a time here.
      let calls = neededCalls ?? Math.ceil(items / 1_000) + 2;
      let failed = failures(await runInConsole(runbookTickLoop(calls), origin, AUTH));
      while ((await getJob(origin, job.id)).status !== "done") {
        calls++;
        failed += failures(await runInConsole(runbookTickLoop(1), origin, AUTH));
      }
      return { calls, failed_calls: failed };
    },
  },
  {
    // As pasted: the loop's end is all the operator sees, so that is when this row stops.
    name: "runbook tick loop as written, totalCalls = 1000",
    workers: 0,
    async run(origin) {
      const job = await startJob(origin);
      const failed = failures(await runInConsole(runbookTickLoop(1000), origin, AUTH));
      if ((await getJob(origin, job.id)).status !== "done") throw new Error("1000 calls were not enough");
      return { calls: 1000, failed_calls: failed };
    },
  },
  ...[1, 2].map((workers) => ({
    name: "continuous runners",
    workers,
    async run(origin: string) {
      await untilDone(origin, (await startJob(origin)).id);
      return {};
    },
  })),
  {
    name: "relabel drain",
    workers: 0,
    async run(origin, databaseUrl) {
      const job = await startJob(origin);
      const outcome = await cli(["drain"], origin, databaseUrl);
      if ((await getJob(origin, job.id)).status !== "done") throw new Error("drain ended before the job");
      return outcome;
    },
  },
  {
    name: "relabel reanalyze --wait (CLI, no HTTP)",
    workers: 0,
    run: (origin, databaseUrl) =>
      cli(["reanalyze", "--from", FROM, "--until", UNTIL, "--wait"], origin, databaseUrl),
  },
];

/** Failed calls in the runbook loop's summary; their statuses to stderr. */
function failures(lines: string[]): number {
  const failed = Number(lines.find((l) => l.startsWith("Failed: "))?.slice("Failed: ".length) ?? 0);
  if (failed > 0) {
    const statuses = new Map<string, number>();
    for (const l of lines) {
      const status = /failed with (?:status: )?(.*)$/.exec(l)?.[1];
      if (status) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    process.stderr.write(`  failed calls: ${JSON.stringify(Object.fromEntries(statuses))}\n`);
  }
  return failed;
}

async function measure(backend: Backend, way: (typeof ways)[number]): Promise<Row> {
  const scratch = await scratchDatabase(backend, values.pg);
  let server: Served | undefined;
  try {
    const database = await openMigrated(scratch.url);
    const loaded = await loadItems(database, items);
    await database.close();
    server = await serve(scratch.url, way.workers);
    const started = performance.now();
    const { calls, failed_calls, note } = await way.run(server.origin, scratch.url);
    let seconds = (performance.now() - started) / 1000;
    // The newest job is this row's (reanalyze --wait starts its own).
    const { items: jobs } = await api<{ items: Job[] }>(server.origin, "/api/internal/labels/reanalysis");
    const job = jobs[0] as Job;
    const jobSeconds = (Date.parse(job.finished_at ?? "") - Date.parse(job.created_at)) / 1000;
    if (note) seconds = jobSeconds;
    const row: Row = {
      backend,
      way: way.name,
      workers: way.workers,
      seconds: Math.round(seconds * 100) / 100,
      job_seconds: Math.round(jobSeconds * 100) / 100,
      calls: calls ?? null,
      items_per_s: Math.round(loaded / seconds),
      ...(failed_calls ? { failed_calls } : {}),
      ...(note ? { note } : {}),
    };
    process.stderr.write(
      `${backend} ${way.name}${way.workers ? ` (workers ${way.workers})` : ""}: ${row.seconds} s` +
        ` (job ${row.job_seconds} s)` +
        `${calls ? `, ${calls} calls` : ""}, ${row.items_per_s} items/s\n`,
    );
    return row;
  } finally {
    await server?.stop();
    await scratch.drop();
  }
}

function markdown(rows: Row[]): string {
  const label = (r: Row) =>
    r.way === "continuous runners" ? `${r.way}, RELABEL_WORKERS=${r.workers}` : r.way;
  const header = backends.map((b) => (b === "sqlite" ? "SQLite" : "PostgreSQL"));
  const lines = [
    `${items.toLocaleString("en-US")} synthetic items (seed 42; conversations and notes; example taxonomy), ` +
      "loaded fresh for each row straight into the tables, so every item gains labels. Wall time from the " +
      "runbook's reanalysis request (`POST /api/internal/labels/reanalysis?from&until`) until the job is " +
      `\`done\`, against \`relabel serve\` on loopback; ticks use their defaults (1,000 messages, 5 s). ` +
      `Node ${process.versions.node}, ${availableParallelism()} cores, the database on the same machine. ` +
      "The runbook's loop is run verbatim with `totalCalls` set to exactly the calls the README's loop needed " +
      "(an operator has to guess it), and as written (`totalCalls = 1000`), timed to the loop's end: " +
      "the calls after the job is done are empty ticks (a failed call would be counted and shown). " +
      "In parentheses, the job's own time (`finished_at − created_at`). " +
      `\`npx tsx bench/runbook.bench.ts${values.quick ? " --quick" : ""}\`.`,
    "",
    `| way | ${header.map((h) => `${h}: wall s (job s), calls, items/s`).join(" | ")} |`,
    `| --- | ${header.map(() => "---").join(" | ")} |`,
  ];
  for (const way of ways) {
    const cells = backends.map((b) => {
      const r = rows.find((x) => x.backend === b && x.way === way.name && x.workers === way.workers);
      if (!r) return "–";
      const calls = `${r.calls ?? "–"}${r.failed_calls ? ` (${r.failed_calls} failed)` : ""}`;
      const hung = r.note ? " **(did not exit: killed; job time)**" : "";
      return `${r.seconds.toFixed(2)} s (${r.job_seconds.toFixed(2)}), ${calls}, ${r.items_per_s.toLocaleString("en-US")}/s${hung}`;
    });
    const any = rows.find((x) => x.way === way.name && x.workers === way.workers);
    if (any) lines.push(`| ${label(any)} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

if (!values["no-build"]) {
  await build();
}
const rows: Row[] = [];
for (const backend of backends) {
  neededCalls = undefined;
  for (const way of ways) rows.push(await measure(backend, way));
}
process.stdout.write(
  `${JSON.stringify({
    section: "runbook",
    title: `The runbook's tick loop vs continuous runners vs relabel drain (${items.toLocaleString("en-US")} items, over HTTP)`,
    settings: {
      items,
      seed: 42,
      backends,
      workers: [0, 1, 2],
      tick: { max_messages: 1000, max_ms: 5000 },
      job_poll_ms: POLL_MS,
      node: process.versions.node,
      cores: availableParallelism(),
    },
    rows,
    markdown: markdown(rows),
  })}\n`,
);
