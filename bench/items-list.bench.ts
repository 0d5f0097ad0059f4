/**
 * The Items list's first page, filtered by label, by search and by both: the
 * server time of `GET /api/items` (Fastify inject, so no network) with N
 * synthetic items in the database. Issue 17's target: ≤ 300 ms at 1,000,000.
 *
 * Setup per backend: a scratch database with N synthetic items
 * (bench/load-items.ts; the search index follows by its triggers) and labels
 * written straight into label_assignments by id, so their shares are known:
 * billing/refund on 10 % of items, shipping/delay on 1 %, bug/login on
 * 0.01 %, and a manual feedback/praise on 0.1 %.
 *
 *   npx tsx bench/items-list.bench.ts [--items 100000] [--backend sqlite|postgres|both] [--runs 15] [--pg URL]
 *
 * Progress goes to stderr; a table of medians and p95s (ms) to stdout, then a JSON line.
 */
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { pino } from "pino";
import { Credentials } from "../src/auth/credentials.js";
import type { Database } from "../src/db/database.js";
import { buildServer } from "../src/http/server.js";
import { createWakeups } from "../src/pubsub/wakeups.js";
import { defaultTopics } from "../src/runners/topics.js";
import { type Backend, DEFAULT_PG_URL, loadItems, openMigrated, scratchDatabase } from "./load-items.js";

const { values } = parseArgs({
  options: {
    items: { type: "string", default: "100000" },
    backend: { type: "string", default: "both" },
    runs: { type: "string", default: "15" },
    pg: { type: "string", default: DEFAULT_PG_URL },
  },
});
const N = Number(values.items);
const RUNS = Number(values.runs);
const backends: Backend[] = values.backend === "both" ? ["sqlite", "postgres"] : [values.backend as Backend];
const TOKEN = "bench-token-0123456789abcdef";

const LABELS = [
  { name: "billing/refund", modulo: 10, rest: 0, source: "rule" },
  { name: "shipping/delay", modulo: 100, rest: 3, source: "rule" },
  { name: "bug/login", modulo: 10_000, rest: 7, source: "rule" },
  { name: "feedback/praise", modulo: 1_000, rest: 11, source: "manual" },
];

/** Labels by the number in each synthetic id (syn-c-000123, syn-n-000124): known shares, set-based. */
async function writeLabels(database: Database): Promise<void> {
  for (const label of LABELS) {
    for (const [type, table, id] of [
      ["conversation", "conversations", "fs_id"],
      ["note", "notes", "note_id"],
    ] as const) {
      await sql`insert into label_assignments
          (item_type, item_id, label, source, confidence, evidence, analyzer_version, taxonomy_version, note_version, analyzed_at)
        select ${type}, ${sql.ref(id)}, ${label.name}, ${label.source}, 0.9, '[]', 'bench', 1, null, 0
        from ${sql.table(table)}
        where cast(substr(${sql.ref(id)}, 7) as integer) % ${label.modulo} = ${label.rest}`.execute(
        database.db,
      );
    }
  }
  if (database.dialect === "postgres") await sql`analyze`.execute(database.db);
  else await sql`analyze`.execute(database.db);
}

/** How many items contain a word: to pick a common and a rare one (setup only, not measured). */
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

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
  return { median: Number(at(0.5).toFixed(1)), p95: Number(at(0.95).toFixed(1)) };
}

async function run(backend: Backend) {
  const scratch = await scratchDatabase(backend, values.pg);
  const database = await openMigrated(scratch.url);
  try {
    let t0 = performance.now();
    const written = await loadItems(database, N);
    process.stderr.write(
      `${backend}: ${written} items loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    t0 = performance.now();
    await writeLabels(database);
    process.stderr.write(`${backend}: labels written in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

    const candidates = ["refund", "invoice", "password", "tracking", "crash", "cancel", "charged", "urgent"];
    const counts = new Map<string, number>();
    for (const w of candidates) counts.set(w, await wordCount(database, w));
    const byCount = [...counts].sort((a, b) => b[1] - a[1]);
    const common = byCount[0] as [string, number];
    const rare = byCount.filter(([, n]) => n > 0).at(-1) as [string, number];
    process.stderr.write(`${backend}: words ${JSON.stringify(Object.fromEntries(counts))}\n`);

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
    const cases: [string, string][] = [
      ["no filter", ""],
      ["label 10%", "labels=billing/refund"],
      ["label 1%", "labels=shipping/delay"],
      ["label 0.01%", "labels=bug/login"],
      ["labels all (10% and 1%)", "labels=billing/refund,shipping/delay"],
      ["labels any (10% or 1%)", "labels=billing/refund,shipping/delay&label_mode=any"],
      ["labels none (10%)", "labels=billing/refund&label_mode=none"],
      ["source manual 0.1%", "source=manual"],
      [`search common '${common[0]}' (${common[1]})`, `q=${common[0]}`],
      [`search rare '${rare[0]}' (${rare[1]})`, `q=${rare[0]}`],
      ["search, no match", "q=zzzyxq"],
      [`label 10% + search '${common[0]}'`, `labels=billing/refund&q=${common[0]}`],
      [`label 1% + search '${common[0]}'`, `labels=shipping/delay&q=${common[0]}`],
      [`label 0.01% + search '${rare[0]}'`, `labels=bug/login&q=${rare[0]}`],
      ["label 1%, 2nd page", "labels=shipping/delay&cursor=NEXT"],
    ];
    const results: Record<string, { median: number; p95: number; items: number }> = {};
    for (const [name, query] of cases) {
      let url = `/api/items?limit=100&${query}`;
      if (query.includes("cursor=NEXT")) {
        const first = await app.inject({
          method: "GET",
          url: `/api/items?limit=100&${query.replace("&cursor=NEXT", "")}`,
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        url = `/api/items?limit=100&${query.replace("cursor=NEXT", `cursor=${first.json().next_cursor}`)}`;
      }
      const samples: number[] = [];
      let items = 0;
      for (let i = 0; i < RUNS + 2; i++) {
        const start = performance.now();
        const res = await app.inject({ method: "GET", url, headers: { authorization: `Bearer ${TOKEN}` } });
        const ms = performance.now() - start;
        if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
        items = res.json().items.length;
        if (i >= 2) samples.push(ms);
      }
      results[name] = { ...stats(samples), items };
      process.stderr.write(`${backend}: ${name}: ${JSON.stringify(results[name])}\n`);
    }
    await app.close();
    await wakeups.close();
    return { backend, items: written, results };
  } finally {
    await database.close();
    await scratch.drop();
  }
}

const all = [];
for (const backend of backends) all.push(await run(backend));
console.log(`\nFirst page of GET /api/items (limit 100), ms: median / p95, ${N} items\n`);
console.log(`| case | ${all.map((r) => r.backend).join(" | ")} |`);
console.log(`| --- | ${all.map(() => "---").join(" | ")} |`);
const names = Object.keys(all[0]?.results ?? {});
for (let i = 0; i < names.length; i++) {
  const cells = all.map((r) => {
    const v = Object.values(r.results)[i];
    return v ? `${v.median} / ${v.p95} (${v.items})` : "";
  });
  console.log(`| ${names[i]} | ${cells.join(" | ")} |`);
}
console.log(JSON.stringify(all));
