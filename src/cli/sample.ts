import { fileURLToPath } from "node:url";
import { transaction } from "../db/database.js";
import { importFile } from "../items/import.js";
import { saveTaxonomy } from "../labels/taxonomy-store.js";
import type { Runtime } from "../runners/runtime.js";
import { readTaxonomyFile } from "./taxonomy.js";

export const SAMPLE_TAXONOMY = fileURLToPath(new URL("../../examples/taxonomy.yaml", import.meta.url));
export const SAMPLE_ITEMS = fileURLToPath(new URL("../../examples/sample.ndjson", import.meta.url));

/** True when nothing has been stored yet: no items, no taxonomy. */
export async function isEmpty(runtime: Runtime): Promise<boolean> {
  const db = runtime.database.db;
  const [conversation, note, taxonomy] = await Promise.all([
    db.selectFrom("conversations").select("fs_id").limit(1).executeTakeFirst(),
    db.selectFrom("notes").select("note_id").limit(1).executeTakeFirst(),
    db.selectFrom("taxonomy_versions").select("version").limit(1).executeTakeFirst(),
  ]);
  return !conversation && !note && !taxonomy;
}

/**
 * Loads the example taxonomy and the sample conversations and notes, so a
 * newcomer sees labelled items a minute after cloning. Their analysis is
 * queued with the import; the server's runners label them right away.
 */
export async function loadSample(runtime: Runtime): Promise<{ labels: number; items: number }> {
  const input = readTaxonomyFile(SAMPLE_TAXONOMY);
  const saved = await transaction(runtime.database, (trx) => saveTaxonomy(runtime.database, trx, input));
  const counts = await importFile(runtime.database, runtime, SAMPLE_ITEMS);
  return { labels: saved.labels.length, items: counts.conversations + counts.note_versions };
}
