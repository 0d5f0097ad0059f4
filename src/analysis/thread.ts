/**
 * An analysis thread (see threads.ts): analyzes the items of each request
 * with the rules of the taxonomy version it names. A version's rules arrive
 * once, with the first request that uses it, and are compiled once.
 */
import { parentPort } from "node:worker_threads";
import { type StoredItem, toAnalyzable } from "./item.js";
import { analyze, type LabelAssignment } from "./rules.js";
import { type CompiledTaxonomy, compileTaxonomy, type TaxonomyInput } from "./taxonomy.js";

export interface ThreadRequest {
  id: number;
  version: number;
  /** The taxonomy, when this thread has not been sent `version` yet. */
  input?: TaxonomyInput;
  items: StoredItem[];
}

export type ThreadReply = { id: number; results: LabelAssignment[][] } | { id: number; error: string };

/** Compiled versions kept: the current one and a few before (a dry run may still use an older one). */
const KEPT_VERSIONS = 4;
const compiled = new Map<number, CompiledTaxonomy>();

function handle(request: ThreadRequest): ThreadReply {
  try {
    if (request.input !== undefined && !compiled.has(request.version)) {
      compiled.set(request.version, compileTaxonomy(request.input, request.version));
      for (const version of compiled.keys()) if (compiled.size > KEPT_VERSIONS) compiled.delete(version);
    }
    const taxonomy = compiled.get(request.version);
    if (taxonomy === undefined) throw new Error(`taxonomy version ${request.version} was never sent`);
    return { id: request.id, results: request.items.map((item) => analyze(toAnalyzable(item), taxonomy)) };
  } catch (err) {
    return { id: request.id, error: err instanceof Error ? err.message : String(err) };
  }
}

parentPort?.on("message", (request: ThreadRequest) => parentPort?.postMessage(handle(request)));
