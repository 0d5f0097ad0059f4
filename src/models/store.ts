import { sql } from "kysely";
import type { TextClassifier } from "../classifier/index.js";
import { type Database, type Executor, transaction } from "../db/database.js";
import { readJson } from "../db/schema.js";
import { AppError } from "../errors.js";
import { toIso } from "../time.js";

/**
 * Model versions: each training stores a new version, never an edit; at most
 * one is active (a partial unique index says so), and the analyzer uses it.
 */

export interface TrainingSources {
  /** Examples from the taxonomy's `examples`. */
  taxonomy: number;
  /** Items people labeled by hand (one example each). */
  manual: number;
  /** Rows of an imported file, and its name. */
  file: number;
  file_name?: string;
}

export interface ModelSummary {
  version: number;
  created_at: string;
  active: boolean;
  labels: string[];
  examples: number;
  sources: TrainingSources;
  train_ms: number;
  bytes: number;
}

export async function saveModel(
  database: Database,
  trx: Executor,
  model: { classifier: TextClassifier; sources: TrainingSources; trainMs: number },
  now = Date.now(),
): Promise<number> {
  if (database.dialect === "postgres") {
    // Two concurrent trainings must not both take max + 1.
    await sql`select pg_advisory_xact_lock(hashtext('relabel_models:' || current_schema()))`.execute(trx);
  }
  const latest = await trx
    .selectFrom("models")
    .select((eb) => eb.fn.max("version").as("v"))
    .executeTakeFirst();
  const version = Number(latest?.v ?? 0) + 1;
  await trx
    .insertInto("models")
    .values({
      version,
      created_at: now,
      active: 0,
      labels: JSON.stringify(model.classifier.info.labels),
      examples: model.classifier.info.examples,
      sources: JSON.stringify(model.sources),
      train_ms: Math.round(model.trainMs),
      model: Buffer.from(model.classifier.serialize()),
    })
    .execute();
  return version;
}

/** Makes `version` the active model (and no other), inside the caller's transaction. */
export async function activateModel(trx: Executor, version: number): Promise<void> {
  const found = await trx
    .selectFrom("models")
    .select("version")
    .where("version", "=", version)
    .executeTakeFirst();
  if (!found) throw notFound(version);
  await trx.updateTable("models").set({ active: 0 }).where("active", "=", 1).execute();
  await trx.updateTable("models").set({ active: 1 }).where("version", "=", version).execute();
}

/**
 * Activation as `relabel model activate N` and `POST /api/internal/models/:version/activate`
 * do it (rolling back is activating an older version): new analyses use the version at once
 * (runners read the active version per batch), an analysis made with the one it replaces
 * writes nothing and is asked again, and existing labels stay until a reanalysis.
 * Returns the version as listed, read in the same transaction.
 */
export async function activateVersion(database: Database, version: number): Promise<ModelSummary> {
  return transaction(database, async (trx) => {
    await activateModel(trx, version);
    return getModel(trx, version);
  });
}

function notFound(version: number): AppError {
  return new AppError(
    "model_not_found",
    `No model version ${version}; GET /api/internal/models (or \`relabel model list\`) lists them.`,
  );
}

export async function listModels(ex: Executor): Promise<ModelSummary[]> {
  return summaries(ex);
}

/** One version as listed; 404 `model_not_found` if there is none. */
export async function getModel(ex: Executor, version: number): Promise<ModelSummary> {
  const [found] = await summaries(ex, version);
  if (found === undefined) throw notFound(version);
  return found;
}

async function summaries(ex: Executor, version?: number): Promise<ModelSummary[]> {
  let query = ex
    .selectFrom("models")
    .select([
      "version",
      "created_at",
      "active",
      "labels",
      "examples",
      "sources",
      "train_ms",
      // Bytes on both: SQLite's length() of a BLOB, PostgreSQL's of a bytea.
      sql<number>`length(model)`.as("bytes"),
    ])
    .orderBy("version", "desc");
  if (version !== undefined) query = query.where("version", "=", version);
  const rows = await query.execute();
  return rows.map((r) => ({
    version: r.version,
    created_at: toIso(r.created_at),
    active: Number(r.active) === 1,
    labels: readJson<string[]>(r.labels),
    examples: r.examples,
    sources: readJson<TrainingSources>(r.sources),
    train_ms: r.train_ms,
    bytes: Number(r.bytes),
  }));
}

export interface ActiveModel {
  version: number;
  classifier: TextClassifier;
}

export interface StoredModel {
  version: number;
  labels: string[];
  /** Serialized, as TextClassifier.deserialize() reads it. */
  bytes: Uint8Array;
}

/**
 * The active model as stored, not deserialized: what analysis and evaluation threads are
 * sent (decoding a model is CPU work, so a thread does it).
 */
export async function loadActiveModelBytes(ex: Executor): Promise<StoredModel | undefined> {
  const model = await loadModelBytes(ex, "active");
  return model && { version: model.version, labels: model.labels, bytes: model.bytes };
}

/** A version (or the active one) as stored, with when it was made: versions are never edited. */
export async function loadModelBytes(
  ex: Executor,
  which: number | "active",
): Promise<(StoredModel & { createdAt: number }) | undefined> {
  const query = ex.selectFrom("models").select(["version", "labels", "model", "created_at"]);
  const row = await (which === "active"
    ? query.where("active", "=", 1)
    : query.where("version", "=", which)
  ).executeTakeFirst();
  if (!row) return undefined;
  return {
    version: row.version,
    labels: readJson<string[]>(row.labels),
    bytes: row.model,
    createdAt: Number(row.created_at),
  };
}

/** The stored version `version`; 404 `model_not_found` if there is none. */
export async function requireModelBytes(
  ex: Executor,
  version: number,
): Promise<StoredModel & { createdAt: number }> {
  const model = await loadModelBytes(ex, version);
  if (model === undefined) throw notFound(version);
  return model;
}
