import { TextClassifier } from "../classifier/index.js";
import { withModelLabels } from "../models/detect.js";
import type { ActiveModel, StoredModel } from "../models/store.js";
import { type StoredItem, toAnalyzable } from "./item.js";
import { analyze, type LabelAssignment } from "./rules.js";
import type { CompiledTaxonomy } from "./taxonomy.js";

/** What analysis runs with: a taxonomy version and, if one is active, a model version (as stored). */
export interface AnalysisSetup {
  taxonomy: CompiledTaxonomy;
  model: StoredModel | undefined;
}

/** The labels of each item, in order: the rules, then the model where the taxonomy asks for it. */
export function labelItems(
  items: StoredItem[],
  taxonomy: CompiledTaxonomy,
  model: ActiveModel | undefined,
): LabelAssignment[][] {
  return items.map((stored) => {
    const item = toAnalyzable(stored);
    return withModelLabels(item, taxonomy, analyze(item, taxonomy), model);
  });
}

/** Decoded models by version, a few kept: decoding is CPU work done once per model and thread. */
export class DecodedModels {
  readonly #decoded = new Map<number, ActiveModel>();

  get(stored: StoredModel | undefined): ActiveModel | undefined {
    if (stored === undefined) return undefined;
    let model = this.#decoded.get(stored.version);
    if (model === undefined) {
      model = { version: stored.version, classifier: TextClassifier.deserialize(stored.bytes) };
      this.#decoded.set(stored.version, model);
      for (const version of this.#decoded.keys()) if (this.#decoded.size > 2) this.#decoded.delete(version);
    }
    return model;
  }
}
