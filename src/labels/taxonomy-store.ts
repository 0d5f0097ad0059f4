import { sql } from "kysely";
import { type CompiledTaxonomy, compileTaxonomy, type TaxonomyInput } from "../analysis/taxonomy.js";
import type { Database, Executor } from "../db/database.js";
import { readJson } from "../db/schema.js";
import { toIso } from "../time.js";

/**
 * Taxonomy versions: every change is a new version, never an edit. Version 0
 * is the empty taxonomy a fresh database starts with (items get no labels).
 */

export interface TaxonomyVersion {
  version: number;
  created_at: string | null;
  labels: TaxonomyInput["labels"];
}

const EMPTY: TaxonomyInput = { labels: [] };

/** Validates and compiles `input` (a 400 naming label and problem if it does not compile), then stores it as the next version. */
export async function saveTaxonomy(
  database: Database,
  trx: Executor,
  input: unknown,
  now = Date.now(),
): Promise<TaxonomyVersion> {
  const compiled = compileTaxonomy(input, 0);
  if (database.dialect === "postgres") {
    // Two concurrent saves must not both take max + 1.
    await sql`select pg_advisory_xact_lock(hashtext('relabel_taxonomy:' || current_schema()))`.execute(trx);
  }
  const latest = await trx
    .selectFrom("taxonomy_versions")
    .select((eb) => eb.fn.max("version").as("v"))
    .executeTakeFirst();
  const version = Number(latest?.v ?? 0) + 1;
  await trx
    .insertInto("taxonomy_versions")
    .values({ version, taxonomy: JSON.stringify(compiled.input), created_at: now })
    .execute();
  return { version, created_at: toIso(now), labels: compiled.input.labels };
}

export async function currentTaxonomy(ex: Executor): Promise<TaxonomyVersion> {
  const row = await ex
    .selectFrom("taxonomy_versions")
    .selectAll()
    .orderBy("version", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!row) return { version: 0, created_at: null, labels: [] };
  return {
    version: row.version,
    created_at: toIso(row.created_at),
    labels: readJson<TaxonomyInput>(row.taxonomy).labels,
  };
}

export async function listTaxonomyVersions(
  ex: Executor,
): Promise<{ version: number; created_at: string; label_count: number }[]> {
  const rows = await ex.selectFrom("taxonomy_versions").selectAll().orderBy("version", "desc").execute();
  return rows.map((r) => ({
    version: r.version,
    created_at: toIso(r.created_at),
    label_count: readJson<TaxonomyInput>(r.taxonomy).labels.length,
  }));
}

/**
 * The compiled current taxonomy, compiled once per version: each batch only
 * asks which version is current, so runners pick up a change without a restart.
 */
export class TaxonomyCache {
  #compiled: CompiledTaxonomy = compileTaxonomy(EMPTY, 0);

  async current(ex: Executor): Promise<CompiledTaxonomy> {
    const latest = await ex
      .selectFrom("taxonomy_versions")
      .select((eb) => eb.fn.max("version").as("v"))
      .executeTakeFirst();
    const version = Number(latest?.v ?? 0);
    if (version !== this.#compiled.version) {
      const stored = await currentTaxonomy(ex);
      this.#compiled = compileTaxonomy({ labels: stored.labels }, stored.version);
    }
    return this.#compiled;
  }
}
