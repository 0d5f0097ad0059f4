/**
 * Shared by the benchmarks: a scratch database on either backend, and seeded
 * synthetic items (bench/synthetic.ts) written straight into their tables with
 * the example taxonomy. Writing the rows directly enqueues no analysis, so a
 * benchmark starts from items that carry no labels and an empty queue.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { pino } from "pino";
import { SAMPLE_TAXONOMY } from "../src/cli/sample.js";
import { readTaxonomyFile } from "../src/cli/taxonomy.js";
import { parseDatabaseUrl } from "../src/config.js";
import { type Database, openDatabase, transaction } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { saveTaxonomy } from "../src/labels/taxonomy-store.js";
import { type SyntheticLine, syntheticItems } from "./synthetic.js";

/** The synthetic items' time range: every item's last activity falls in it. */
export const SYNTHETIC_START = new Date("2025-11-24T00:00:00Z");
export const SYNTHETIC_END = new Date("2026-11-24T00:00:00Z");

export type Backend = "sqlite" | "postgres";

export const DEFAULT_PG_URL = process.env.RELABEL_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

let schemas = 0;

export interface ScratchDatabase {
  url: string;
  /** Removes the SQLite folder or drops the PostgreSQL schema. */
  drop(): Promise<void>;
}

/** A SQLite file in a temporary folder, or a fresh schema of `pgUrl`'s database (via search_path). */
export async function scratchDatabase(backend: Backend, pgUrl = DEFAULT_PG_URL): Promise<ScratchDatabase> {
  if (backend === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "relabel-bench-"));
    return {
      url: `sqlite:${join(dir, "bench.db")}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  // pid and a counter: several scratch schemas per run, and runs side by side.
  const schema = `bench_${process.pid}_${++schemas}`;
  await admin.query(`create schema ${schema}`);
  const url = new URL(pgUrl);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      try {
        await admin.query(`drop schema ${schema} cascade`);
      } finally {
        await admin.end();
      }
    },
  };
}
/** Opens `url` and brings its schema up to date. */
export async function openMigrated(url: string): Promise<Database> {
  const database = openDatabase(parseDatabaseUrl(url), pino({ level: "warn" }));
  await migrate(database);
  return database;
}

const BATCH = 1_000;

/**
 * Saves the example taxonomy and writes `count` synthetic items (seeded) in
 * batched transactions. Returns how many items were written.
 */
export async function loadItems(database: Database, count: number, seed = 42): Promise<number> {
  await transaction(database, (trx) => saveTaxonomy(database, trx, readTaxonomyFile(SAMPLE_TAXONOMY)));
  let batch: SyntheticLine[] = [];
  let written = 0;
  let lastNote = "";
  for (const line of syntheticItems({ count, seed, start: SYNTHETIC_START, end: SYNTHETIC_END })) {
    // Keep a note's versions in one batch: the note row is written from its latest version.
    const boundary = line.type === "conversation" || line.note_id !== lastNote;
    if (boundary && batch.length >= BATCH) {
      await writeBatch(database, batch);
      batch = [];
    }
    if (line.type === "note") lastNote = line.note_id;
    if (boundary) written++;
    batch.push(line);
  }
  await writeBatch(database, batch);
  return written;
}

async function writeBatch(database: Database, batch: SyntheticLine[]): Promise<void> {
  const conversations = batch.flatMap((l) => (l.type === "conversation" ? [l] : []));
  const versions = batch.flatMap((l) => (l.type === "note" ? [l] : []));
  await transaction(database, async (trx) => {
    if (conversations.length > 0) {
      await trx
        .insertInto("conversations")
        .values(
          conversations.map((c) => ({
            fs_id: c.fs_id,
            subject: c.subject,
            messages: JSON.stringify(
              c.messages.map((m) => ({ role: m.role, text: m.text, at: Date.parse(m.at) })),
            ),
            metadata: JSON.stringify(c.metadata),
            created_at: Date.parse(c.created_at),
            updated_at: Date.parse(c.updated_at),
          })),
        )
        .execute();
    }
    if (versions.length === 0) return;
    const latest = new Map<string, SyntheticLine & { type: "note" }>();
    const first = new Map<string, number>();
    for (const v of versions) {
      if ((latest.get(v.note_id)?.version ?? 0) < v.version) latest.set(v.note_id, v);
      if (v.version === 1) first.set(v.note_id, Date.parse(v.created_at));
    }
    await trx
      .insertInto("notes")
      .values(
        [...latest.values()].map((v) => ({
          note_id: v.note_id,
          latest_version: v.version,
          created_at: first.get(v.note_id) ?? Date.parse(v.created_at),
          updated_at: Date.parse(v.created_at),
        })),
      )
      .execute();
    await trx
      .insertInto("note_versions")
      .values(
        versions.map((v) => ({
          note_id: v.note_id,
          version: v.version,
          text: v.text,
          metadata: "{}",
          created_at: Date.parse(v.created_at),
        })),
      )
      .execute();
  });
}
