/**
 * The Items list at scale: server time of `GET /api/items` (Fastify inject, no
 * network) for each filter shape the web app's Items list sends, on the first
 * page and on a deep page (a cursor halfway through the year of activity),
 * and of `GET /api/overview`, with N items on SQLite and PostgreSQL. Issue
 * 17's target: a page in ≤ 300 ms at 1,000,000 items.
 *
 *   npx tsx bench/items-list.ts [--items 1000000] [--backend sqlite|postgres|both] [--runs 11]
 *     [--pg URL] [--cache DIR] [--src DIR] [--only REGEX] [--rebuild]
 *
 * The database is built once per size and backend and kept: a SQLite file
 * under `--cache` (default $TMPDIR/relabel-bench-items-list) and a schema
 * `bench_items_list_<N>` in the PostgreSQL database. Building 1,000,000 items
 * takes several minutes per backend (bench/load-items.ts, the search index
 * by its triggers); later runs only open it and apply pending migrations.
 * `--rebuild` drops and builds again. `--src DIR` runs another checkout of
 * relabel (e.g. `git archive HEAD | tar -x -C /tmp/before`, with its
 * node_modules linked) against the same databases, for before/after pairs;
 * a migration the other checkout does not have, if it only creates indexes,
 * is rolled back first (and re-applied by the next run of this checkout).
 *
 * Labels are written straight into label_assignments from the number in each
 * synthetic id, so every share is known whatever N:
 *
 *   billing/refund 10 %, shipping/delay 1 %, bug/login 0.01 %, feedback/praise 0.1 % (manual),
 *   account/password-reset 2 % and churn/cancellation 2 %, overlapping on 0.01 %,
 *   priority/urgent 30 % and general/other 60 % (a seventh by model): ~1.1 labels an item.
 *
 * SQLite gets no ANALYZE (a served database has no statistics unless relabel
 * makes them); PostgreSQL is VACUUM ANALYZEd once (autovacuum would do so).
 *
 * Progress on stderr; a Markdown table (median / p95 ms) on stdout, then a JSON line.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import pg from "pg";
import { pino } from "pino";
import type { Database } from "../src/db/database.js";
import { type Backend, DEFAULT_PG_URL } from "./load-items.js";

const { values } = parseArgs({
  options: {
    items: { type: "string", default: "1000000" },
    backend: { type: "string", default: "both" },
    runs: { type: "string", default: "11" },
    pg: { type: "string", default: DEFAULT_PG_URL },
    cache: { type: "string", default: join(tmpdir(), "relabel-bench-items-list") },
    src: { type: "string", default: resolve(import.meta.dirname, "..") },
    only: { type: "string" },
    rebuild: { type: "boolean", default: false },
    "build-only": { type: "boolean", default: false },
  },
});
const N = Number(values.items);
const RUNS = Number(values.runs);
const SRC = resolve(values.src);
const backends: Backend[] = values.backend === "both" ? ["sqlite", "postgres"] : [values.backend as Backend];
const TOKEN = "bench-token-0123456789abcdef";
const log = (line: string) => process.stderr.write(`${line}\n`);

/** The checkout under test: its server, database and migrations (so `--src` compares two). */
const load = (path: string) => import(pathToFileURL(join(SRC, path)).href);
const { buildServer } = await load("src/http/server.ts");
const { openDatabase } = await load("src/db/database.ts");
const { migrate, loadMigrations } = await load("src/db/migrate.ts");
const { parseDatabaseUrl } = await load("src/config.ts");
const { createWakeups } = await load("src/pubsub/wakeups.ts");
const { defaultTopics } = await load("src/runners/topics.ts");
const { Credentials } = await load("src/auth/credentials.ts");
const { encodeItemCursor } = await load("src/items/list.ts");

/** Label shares by the number n in the id (syn-c-000123): SQL conditions on n. */
const LABELS: { name: string; where: string; source: string }[] = [
  { name: "billing/refund", where: "n % 10 = 0", source: "'rule'" },
  { name: "shipping/delay", where: "n % 100 = 3", source: "'rule'" },
  { name: "bug/login", where: "n % 10000 = 7", source: "'rule'" },
  { name: "feedback/praise", where: "n % 1000 = 11", source: "'manual'" },
  { name: "account/password-reset", where: "n % 50 = 1", source: "'rule'" },
  { name: "churn/cancellation", where: "n % 50 = 2 or n % 10000 = 1", source: "'rule'" },
  {
    name: "priority/urgent",
    where: "n % 10 in (1, 4, 7)",
    source: "case when n % 7 = 0 then 'model' else 'rule' end",
  },
  {
    name: "general/other",
    where: "n % 5 in (1, 2, 4)",
    source: "case when n % 7 = 3 then 'model' else 'rule' end",
  },
];

/** Candidate words for a common and a rare search; the build keeps the most and least frequent found. */
const WORDS = [
  "refund",
  "invoice",
  "password",
  "tracking",
  "crash",
  "cancel",
  "charged",
  "urgent",
  "the",
  "thanks",
  "sso",
  "api",
  "screenshot",
  "vat",
];

interface Meta {
  items: number;
  common: [string, number];
  rare: [string, number];
  /** Every candidate word and the items containing it. */
  words?: [string, number][];
  /** updated_at halfway through the items, and an id there: the deep page's cursor. */
  middle: { at: number; kind: "conversation"; id: string };
}

function pgUrl(schema: string): string {
  const url = new URL(values.pg);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return url.toString();
}

async function open(url: string): Promise<Database> {
  return openDatabase(parseDatabaseUrl(url), pino({ level: "warn" }));
}

/**
 * Rolls back migrations this checkout does not know (index-only ones: every
 * `CREATE INDEX name` dropped), so an older checkout runs on its own schema.
 */
async function rollBackUnknown(database: Database): Promise<void> {
  const known = new Set<number>(loadMigrations(database.dialect).map((m: { id: number }) => m.id));
  let applied: number[] = [];
  try {
    applied = (await sql<{ id: number }>`select id from relabel_migrations`.execute(database.db)).rows.map(
      (r) => Number(r.id),
    );
  } catch {
    return;
  }
  const main = resolve(import.meta.dirname, "..");
  const mine = loadMigrations(database.dialect, join(main, "migrations"));
  for (const id of applied.filter((i) => !known.has(i)).sort((a, b) => b - a)) {
    const script: string = mine.find((m: { id: number }) => m.id === id)?.script ?? "";
    const names = [...script.matchAll(/create\s+index\s+(?:if\s+not\s+exists\s+)?(\w+)/gi)].map((m) => m[1]);
    for (const name of names) await sql`drop index if exists ${sql.ref(name as string)}`.execute(database.db);
    // An index the migration dropped is made again from the earlier migration that made it.
    for (const [, dropped] of script.matchAll(/drop\s+index\s+(?:if\s+exists\s+)?(\w+)/gi)) {
      for (const earlier of mine.filter((m: { id: number }) => m.id < id)) {
        const made = new RegExp(`create\\s+index\\s+${dropped}\\s[^;]*;`, "i").exec(earlier.script);
        if (made)
          await sql
            .raw(made[0].replace(/create\s+index/i, "create index if not exists"))
            .execute(database.db);
      }
    }
    if (database.dialect === "sqlite") {
      // An ANALYZE the migration made would steer the old checkout's plans too.
      if (/\banalyze\b/i.test(script)) {
        try {
          await sql`drop table if exists sqlite_stat1`.execute(database.db);
        } catch {
          await sql`delete from sqlite_stat1`.execute(database.db);
        }
      }
    }
    await sql`delete from relabel_migrations where id = ${id}`.execute(database.db);
    log(`rolled back migration ${id} (${names.join(", ")}) for ${SRC}`);
  }
}

async function writeLabels(database: Database): Promise<void> {
  for (const label of LABELS) {
    for (const [type, table, id] of [
      ["conversation", "conversations", "fs_id"],
      ["note", "notes", "note_id"],
    ] as const) {
      await sql`insert into label_assignments
          (item_type, item_id, label, source, confidence, evidence, analyzer_version, taxonomy_version, note_version, analyzed_at)
        select ${type}, id, ${label.name}, ${sql.raw(label.source)}, 0.9, '[]', 'bench', 1, ${type === "note" ? 1 : null}, 0
        from (select ${sql.ref(id)} as id, cast(substr(${sql.ref(id)}, 7) as integer) as n from ${sql.table(table)}) t
        where ${sql.raw(label.where)}`.execute(database.db);
    }
  }
}

async function wordCount(database: Database, word: string): Promise<number> {
  const q =
    database.dialect === "postgres"
      ? sql<{
          n: number;
        }>`select (select count(*) from conversation_search where search @@ plainto_tsquery('simple', ${word}))
          + (select count(*) from note_search where search @@ plainto_tsquery('simple', ${word})) as n`
      : sql<{
          n: number;
        }>`select (select count(*) from conversation_search where conversation_search match ${`"${word}"`})
          + (select count(*) from note_search where note_search match ${`"${word}"`}) as n`;
  return Number((await q.execute(database.db)).rows[0]?.n ?? 0);
}

/** Builds the database (once) and returns it open and migrated, with its metadata. */
async function prepare(backend: Backend): Promise<{ database: Database; meta: Meta }> {
  let url: string;
  let built: boolean;
  let admin: pg.Client | undefined;
  const schema = `bench_items_list_${N}`;
  if (backend === "sqlite") {
    mkdirSync(values.cache, { recursive: true });
    const file = join(values.cache, `${N}.sqlite`);
    if (values.rebuild) for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
    url = `sqlite:${file}`;
    built = existsSync(file) && existsSync(`${file}.meta.json`);
  } else {
    admin = new pg.Client({ connectionString: values.pg });
    await admin.connect();
    if (values.rebuild) await admin.query(`drop schema if exists ${schema} cascade`);
    const found = await admin.query(
      "select 1 from information_schema.tables where table_schema = $1 and table_name = 'bench_meta'",
      [schema],
    );
    built = found.rowCount === 1;
    if (!built) {
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.query(`create schema ${schema}`);
    }
    url = pgUrl(schema);
  }
  let database = await open(url);
  if (built) {
    await rollBackUnknown(database);
    await migrate(database);
    const meta =
      backend === "sqlite"
        ? (JSON.parse(readFileSync(`${url.slice(7)}.meta.json`, "utf8")) as Meta)
        : ((await sql<{ meta: string }>`select meta from bench_meta`.execute(database.db)).rows[0]
            ?.meta as unknown as Meta);
    await admin?.end();
    return { database, meta: typeof meta === "string" ? JSON.parse(meta) : meta };
  }

  // Built with the main checkout's loader and migrations, then migrated by the one under test.
  const main = resolve(import.meta.dirname, "..");
  const loader = await import(pathToFileURL(join(main, "bench/load-items.ts")).href);
  await database.close();
  database = await loader.openMigrated(url);
  let t0 = performance.now();
  const written: number = await loader.loadItems(database, N);
  log(`${backend}: ${written} items loaded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  t0 = performance.now();
  await writeLabels(database);
  if (backend === "postgres") await sql`vacuum analyze`.execute(database.db);
  log(`${backend}: labels written in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const counts: [string, number][] = [];
  for (const w of WORDS) counts.push([w, await wordCount(database, w)]);
  counts.sort((a, b) => b[1] - a[1]);
  log(`${backend}: words ${JSON.stringify(counts)}`);
  const mid = await sql<{ at: number; id: string }>`select updated_at as at, fs_id as id from conversations
    order by updated_at, fs_id limit 1 offset ${Math.floor((written * 0.75) / 2)}`.execute(database.db);
  const meta: Meta = {
    items: written,
    common: counts[0] as [string, number],
    rare: counts.filter(([, n]) => n > 0).at(-1) as [string, number],
    words: counts,
    middle: { at: Number(mid.rows[0]?.at), kind: "conversation", id: String(mid.rows[0]?.id) },
  };
  if (backend === "sqlite") {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(`${url.slice(7)}.meta.json`, JSON.stringify(meta));
  } else {
    await sql`create table bench_meta (meta text not null)`.execute(database.db);
    await sql`insert into bench_meta (meta) values (${JSON.stringify(meta)})`.execute(database.db);
  }
  await admin?.end();
  await database.close();
  database = await open(url);
  await rollBackUnknown(database);
  await migrate(database);
  return { database, meta };
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
  return { median: Number(at(0.5).toFixed(1)), p95: Number(at(0.95).toFixed(1)) };
}

interface Result {
  median: number;
  p95: number;
  items: number;
  estimate?: unknown;
}

async function run(backend: Backend) {
  const { database, meta } = await prepare(backend);
  if (values["build-only"]) {
    await database.close();
    return { backend, items: meta.items, load: loadavg()[0], results: {} as Record<string, Result> };
  }
  const logger = pino({ level: "silent" });
  const wakeups = await createWakeups(database, logger);
  const app = await buildServer({
    database,
    logger,
    topics: defaultTopics(),
    wakeups,
    leaseMs: 30_000,
    retentionMs: 7 * 86_400_000,
    credentials: new Credentials({ admin: [TOKEN], ingest: [] }),
  });
  await app.ready();
  // The most frequent word (in nearly every item), a common one (in at most a tenth of the
  // items, the most frequent such) and the rarest one found.
  const words = meta.words ?? [meta.common, meta.rare];
  const [frequent] = meta.common;
  const [common] = words.find(([, n]) => n <= meta.items / 10) ?? meta.common;
  const [rare] = meta.rare;
  const deep = `&cursor=${encodeItemCursor(meta.middle)}`;
  const shapes: [string, string][] = [
    ["no filter", ""],
    ["label 10%", "labels=billing/refund"],
    ["label 1%", "labels=shipping/delay"],
    ["label 0.01%", "labels=bug/login"],
    ["all of 10% + 1% (disjoint)", "labels=billing/refund,shipping/delay"],
    ["all of 2% + 2% (0.01% overlap)", "labels=account/password-reset,churn/cancellation"],
    ["any of 1% or 0.01%", "labels=shipping/delay,bug/login&label_mode=any"],
    ["any of 10% or 2%", "labels=billing/refund,account/password-reset&label_mode=any"],
    ["none of 10%", "labels=billing/refund&label_mode=none"],
    ["none of 60% + 30%", "labels=general/other,priority/urgent&label_mode=none"],
    [`search frequent '${frequent}'`, `q=${frequent}`],
    [`search common '${common}'`, `q=${common}`],
    [`search rare '${rare}'`, `q=${rare}`],
    [`label 10% + '${common}'`, `labels=billing/refund&q=${common}`],
    [`label 1% + '${frequent}'`, `labels=shipping/delay&q=${frequent}`],
    [`label 1% + '${common}'`, `labels=shipping/delay&q=${common}`],
    [`label 1% + '${rare}'`, `labels=shipping/delay&q=${rare}`],
    [`label 0.01% + '${rare}'`, `labels=bug/login&q=${rare}`],
  ];
  const cases: { name: string; url: string }[] = [];
  for (const [name, query] of shapes) {
    cases.push({ name: `${name}, first page`, url: `/api/items?limit=50&${query}` });
    cases.push({ name: `${name}, deep page`, url: `/api/items?limit=50&${query}${deep}` });
  }
  cases.push({ name: "GET /api/overview", url: "/api/overview" });
  const only = values.only ? new RegExp(values.only, "i") : undefined;
  const results: Record<string, Result> = {};
  for (const { name, url } of cases) {
    if (only && !only.test(name)) continue;
    const samples: number[] = [];
    let body: { items?: unknown[]; estimated_total?: unknown } = {};
    for (let i = 0; i < RUNS + 1; i++) {
      const start = performance.now();
      const res = await app.inject({ method: "GET", url, headers: { authorization: `Bearer ${TOKEN}` } });
      const ms = performance.now() - start;
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
      body = res.json();
      if (i >= 1) samples.push(ms);
    }
    results[name] = { ...stats(samples), items: body.items?.length ?? -1 };
    if (body.estimated_total !== undefined) results[name].estimate = body.estimated_total;
    log(`${backend}: ${name}: ${JSON.stringify(results[name])}`);
  }
  await app.close();
  await wakeups.close();
  await database.close();
  return { backend, items: meta.items, load: loadavg()[0], results };
}

const all = [];
for (const backend of backends) all.push(await run(backend));
if (!values["build-only"]) {
  console.log(
    `\nGET /api/items (limit 50) and GET /api/overview, server time in ms: median / p95 of ${RUNS} (after a warm-up), rows returned; ${N} items; src ${SRC}; load average at the end: ${all.map((r) => `${r.backend} ${(r.load ?? 0).toFixed(2)}`).join(", ")}\n`,
  );
  console.log(`| case | ${all.map((r) => r.backend).join(" | ")} |`);
  console.log(`| --- | ${all.map(() => "---").join(" | ")} |`);
  const names = [...new Set(all.flatMap((r) => Object.keys(r.results)))];
  for (const name of names) {
    const cells = all.map((r) => {
      const v = r.results[name];
      return v ? `${v.median} / ${v.p95} (${v.items})` : "";
    });
    console.log(`| ${name} | ${cells.join(" | ")} |`);
  }
  console.log(JSON.stringify(all));
}
