import type { Executor } from "../db/database.js";
import { TaxonomyCache } from "../labels/taxonomy-store.js";
import { loadActiveModelBytes, type StoredModel } from "../models/store.js";
import type { AnalysisSetup } from "./label-items.js";

/**
 * The current taxonomy (compiled once per version) and the active model (read
 * once per activation, as stored: threads decode it). Each batch only asks
 * which versions are current, so runners pick up a change without a restart.
 */
export class AnalysisSetupCache {
  readonly #taxonomies = new TaxonomyCache();
  #model: StoredModel | undefined;

  async current(ex: Executor): Promise<AnalysisSetup> {
    const taxonomy = await this.#taxonomies.current(ex);
    if (!taxonomy.labels.some((l) => l.model !== undefined)) return { taxonomy, model: undefined };
    const active = await ex.selectFrom("models").select("version").where("active", "=", 1).executeTakeFirst();
    if (active === undefined) this.#model = undefined;
    else if (active.version !== this.#model?.version) this.#model = await loadActiveModelBytes(ex);
    return { taxonomy, model: this.#model };
  }
}
