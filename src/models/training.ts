import type { AnalyzableItem } from "../analysis/rules.js";
import { type Example, TextClassifier } from "../classifier/index.js";
import { chunks } from "../db/chunks.js";
import { type Database, type Executor, transaction } from "../db/database.js";
import { readJson } from "../db/schema.js";
import { AppError } from "../errors.js";
import { notesWithLatestVersion } from "../items/notes.js";
import { currentTaxonomy, saveTaxonomy } from "../labels/taxonomy-store.js";
import { modelText } from "./item-text.js";
import { activateModel, saveModel, type TrainingSources } from "./store.js";

/**
 * Training data comes from three places, all pooled:
 * - the taxonomy: each label's `examples`;
 * - people: every item with labels added by hand (its text, with those labels);
 * - a file (`relabel model train --data FILE`).
 */

/** The items people labeled by hand, as examples: the model's text of each, with the labels people added. */
export async function peopleExamples(ex: Executor): Promise<Example[]> {
  const decisions = await ex
    .selectFrom("manual_label_decisions")
    .select(["item_type", "item_id", "label"])
    .where("decision", "=", "add")
    .orderBy("item_type")
    .orderBy("item_id")
    .orderBy("label")
    .execute();
  const labels = new Map<string, string[]>();
  for (const d of decisions) {
    const key = `${d.item_type}\u0000${d.item_id}`;
    labels.set(key, [...(labels.get(key) ?? []), d.label]);
  }
  const texts = await itemTexts(
    ex,
    [...labels.keys()].map((k) => k.split("\u0000") as ["conversation" | "note", string]),
  );
  return [...labels.entries()].flatMap(([key, names]) => {
    const text = texts.get(key);
    return text === undefined || text.trim() === "" ? [] : [{ text, labels: names }];
  });
}

async function itemTexts(
  ex: Executor,
  items: ["conversation" | "note", string][],
): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  const fsIds = items.filter(([type]) => type === "conversation").map(([, id]) => id);
  const noteIds = items.filter(([type]) => type === "note").map(([, id]) => id);
  for (const ids of chunks(fsIds)) {
    const rows = await ex
      .selectFrom("conversations")
      .select(["fs_id", "subject", "messages"])
      .where("fs_id", "in", ids)
      .execute();
    for (const r of rows) {
      const item: AnalyzableItem = {
        kind: "conversation",
        subject: r.subject,
        messages: readJson(r.messages),
      };
      texts.set(`conversation\u0000${r.fs_id}`, modelText(item));
    }
  }
  for (const ids of chunks(noteIds)) {
    const rows = await notesWithLatestVersion(ex)
      .select(["notes.note_id", "note_versions.text"])
      .where("notes.note_id", "in", ids)
      .execute();
    for (const r of rows) texts.set(`note\u0000${r.note_id}`, r.text);
  }
  return texts;
}

export interface TrainRequest {
  /** Examples from a file, and the file's name. */
  file?: { name: string; examples: Example[] };
  /** Make the new version the active one (default true). */
  activate?: boolean;
  seed?: number;
}

export interface TrainReport {
  version: number;
  active: boolean;
  labels: string[];
  examples: number;
  sources: TrainingSources;
  train_ms: number;
  /** Labels the file brought that the taxonomy lacked, added to it (detected by the model). */
  added_to_taxonomy: string[];
  taxonomy_version: number;
}

/**
 * Trains a new model version from everything available and (by default)
 * activates it. A file's labels that the taxonomy lacks are added to it first,
 * detected by `model`, so on a fresh database a file alone is enough.
 */
export async function trainModel(database: Database, request: TrainRequest = {}): Promise<TrainReport> {
  const fileExamples = request.file?.examples ?? [];
  const fileLabels = [...new Set(fileExamples.flatMap((e) => e.labels))].sort();
  const { added, taxonomyVersion } = await transaction(database, async (trx) => {
    const taxonomy = await currentTaxonomy(trx);
    const known = new Set(taxonomy.labels.map((l) => l.name));
    const missing = fileLabels.filter((name) => !known.has(name));
    if (missing.length === 0) return { added: [], taxonomyVersion: taxonomy.version };
    const labels = [...taxonomy.labels, ...missing.map((name) => ({ name, detect: ["model"] }))];
    const saved = await saveTaxonomy(database, trx, { labels });
    return { added: missing, taxonomyVersion: saved.version };
  });

  const taxonomy = await currentTaxonomy(database.db);
  const fromTaxonomy = taxonomy.labels.flatMap((l) =>
    (l.examples ?? []).map((text) => ({ text, labels: [l.name] })),
  );
  const fromPeople = await peopleExamples(database.db);
  const examples = [...fromTaxonomy, ...fromPeople, ...fileExamples];
  const labels = new Set(examples.flatMap((e) => e.labels));
  if (labels.size < 2) {
    throw new AppError(
      "invalid_training_data",
      `A model needs examples of at least 2 labels; found ${labels.size} (${examples.length} examples). Give labels \`examples\` in the taxonomy, label items by hand, or pass --data FILE.`,
    );
  }
  const started = performance.now();
  const classifier = TextClassifier.train(examples, { seed: request.seed });
  const trainMs = performance.now() - started;
  const sources: TrainingSources = {
    taxonomy: fromTaxonomy.length,
    manual: fromPeople.length,
    file: fileExamples.length,
    ...(request.file ? { file_name: request.file.name } : {}),
  };
  const activate = request.activate !== false;
  const version = await transaction(database, async (trx) => {
    const saved = await saveModel(database, trx, { classifier, sources, trainMs });
    if (activate) await activateModel(trx, saved);
    return saved;
  });
  return {
    version,
    active: activate,
    labels: classifier.info.labels,
    examples: classifier.info.examples,
    sources,
    train_ms: Math.round(trainMs),
    added_to_taxonomy: added,
    taxonomy_version: taxonomyVersion,
  };
}
