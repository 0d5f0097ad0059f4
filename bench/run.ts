/**
 * `npm run bench`: every benchmark in one run on one machine, one after the
 * other (never two at once: they share the cores), then one report.
 *
 *   npm run bench [-- --quick] [-- --items 1000000] [-- --only queue,reanalysis,runbook,latency]
 *
 * Each section is its own process, which prints its progress on stderr and,
 * as the last line on stdout, `{section, title, settings, rows, markdown}`.
 * The report (Markdown, printed and written, and the same as JSON) goes to
 * bench/results/: the machine, versions and settings first, then each
 * section, then the targets and whether this run met them.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { DEFAULT_PG_URL } from "./load-items.js";
import { evaluateTargets, type Section } from "./targets.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    items: { type: "string" },
    only: { type: "string" },
    pg: { type: "string", default: DEFAULT_PG_URL },
  },
});

const SECTIONS: Record<string, { script: string; args: string[] }> = {
  queue: { script: "queue.bench.ts", args: [] },
  reanalysis: { script: "reanalysis.ts", args: values.items ? ["--items", values.items] : [] },
  runbook: { script: "runbook.bench.ts", args: [] },
  latency: { script: "labels-latency.bench.ts", args: [] },
};

function packageVersion(name: string): string {
  const path = fileURLToPath(new URL(`../node_modules/${name}/package.json`, import.meta.url));
  return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
}

async function machine(): Promise<Record<string, string | number>> {
  const client = new pg.Client({ connectionString: values.pg });
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>("show server_version");
  await client.end();
  const sqlite = new BetterSqlite3(":memory:");
  const sqliteVersion = (sqlite.prepare("select sqlite_version() as v").get() as { v: string }).v;
  sqlite.close();
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  return {
    date: new Date().toISOString(),
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? "unknown"}`,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgresql: rows[0]?.server_version ?? "unknown",
    sqlite: sqliteVersion,
    relabel_commit: commit,
    "graphile-worker": packageVersion("graphile-worker"),
    "pg-boss": packageVersion("pg-boss"),
    mode: values.quick ? "quick" : "full",
  };
}

function runSection(name: string): Section {
  const { script, args } = SECTIONS[name] as { script: string; args: string[] };
  const path = fileURLToPath(new URL(script, import.meta.url));
  const flags = [...args, ...(values.quick ? ["--quick"] : []), "--pg", values.pg as string];
  process.stderr.write(`\n== ${name}: ${script} ${flags.join(" ")}\n`);
  const started = performance.now();
  const out = execFileSync(process.execPath, ["--import", "tsx", path, ...flags], {
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 16 << 20,
  });
  const section = JSON.parse(out.toString().trim().split("\n").pop() as string) as Section;
  section.seconds = Math.round((performance.now() - started) / 100) / 10;
  return section;
}

function report(about: Record<string, string | number>, sections: Section[]): string {
  const header = Object.entries(about)
    .map(([k, v]) => `| ${k} | ${v} |`)
    .join("\n");
  const targets = evaluateTargets(sections);
  return [
    `# relabel benchmarks (${about.mode} run, ${String(about.date).slice(0, 10)})`,
    "",
    "| machine and versions | |",
    "| --- | --- |",
    header,
    "",
    ...sections.flatMap((s) => [`## ${s.title}`, "", s.markdown, "", `(${s.seconds} s)`, ""]),
    "## Targets",
    "",
    ...(about.mode === "quick"
      ? [
          "A quick run makes one short run per section (10,000 items, 15,000 messages): its figures are indicative, and the targets are judged on a full run.",
          "",
        ]
      : []),
    "| target | measured | met |",
    "| --- | --- | --- |",
    ...targets.map(
      (t) => `| ${t.target} | ${t.measured} | ${t.met === null ? "—" : t.met ? "yes" : "**no**"} |`,
    ),
    "",
  ].join("\n");
}

const names = values.only ? values.only.split(",") : Object.keys(SECTIONS);
const unknown = names.filter((n) => !(n in SECTIONS));
if (unknown.length > 0)
  throw new Error(`unknown section(s) ${unknown.join(", ")}; known: ${Object.keys(SECTIONS)}`);
const about = await machine();
const started = performance.now();
const sections = names.map(runSection);
about.total_seconds = Math.round((performance.now() - started) / 1000);
const markdown = report(about, sections);
const dir = fileURLToPath(new URL("results/", import.meta.url));
mkdirSync(dir, { recursive: true });
const stem = `${String(about.date).slice(0, 16).replace(/:/g, "-")}-${about.mode}`;
writeFileSync(`${dir}${stem}.md`, markdown);
writeFileSync(
  `${dir}${stem}.json`,
  `${JSON.stringify({ machine: about, sections, targets: evaluateTargets(sections) }, null, 2)}\n`,
);
process.stdout.write(`${markdown}\nwritten: bench/results/${stem}.md and .json\n`);
