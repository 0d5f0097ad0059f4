import type { TaxonomyInput } from "../analysis/taxonomy.js";
import type { Executor } from "../db/database.js";
import { readJson } from "../db/schema.js";
import { AppError } from "../errors.js";
import type { TaxonomyVersion } from "../labels/taxonomy-store.js";
import { toIso } from "../time.js";

/**
 * One stored taxonomy version, in the shape `GET /api/taxonomy` answers.
 * Version 0 is the empty taxonomy every database starts with, so it always
 * exists (and a diff from 0 lists every label as added).
 */
export async function taxonomyVersion(ex: Executor, version: number): Promise<TaxonomyVersion> {
  if (version === 0) return { version: 0, created_at: null, labels: [] };
  const row = await ex
    .selectFrom("taxonomy_versions")
    .selectAll()
    .where("version", "=", version)
    .executeTakeFirst();
  if (!row) {
    throw new AppError(
      "taxonomy_version_not_found",
      `No taxonomy version ${version}; GET /api/taxonomy/versions lists the stored ones.`,
      { version },
    );
  }
  return {
    version: row.version,
    created_at: toIso(row.created_at),
    labels: readJson<TaxonomyInput>(row.taxonomy).labels,
  };
}
