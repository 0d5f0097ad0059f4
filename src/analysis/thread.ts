/**
 * An analysis thread (see threads.ts): labels the items of each request with
 * the taxonomy and model versions it names. A version arrives once, with the
 * first request that uses it on this thread, and is compiled (decoded) once.
 */
import { parentPort } from "node:worker_threads";
import type { StoredModel } from "../models/store.js";
import { answerRequests } from "../thread-pool.js";
import type { StoredItem } from "./item.js";
import { DecodedModels, labelItems } from "./label-items.js";
import type { LabelAssignment } from "./rules.js";
import { type CompiledTaxonomy, compileTaxonomy, type TaxonomyInput } from "./taxonomy.js";

export interface ThreadRequest {
  id: number;
  taxonomyVersion: number;
  /** The taxonomy, when this thread has not been sent `taxonomyVersion` yet. */
  taxonomy?: TaxonomyInput;
  modelVersion?: number;
  /** The model, when this thread has not been sent `modelVersion` yet. */
  model?: StoredModel;
  items: StoredItem[];
}

/** Versions kept: the current one and a few before (a dry run may still use an older one). */
const KEPT = 4;
const taxonomies = new Map<number, CompiledTaxonomy>();
const models = new Map<number, StoredModel>();
const decoded = new DecodedModels();

function keep<T>(cache: Map<number, T>, version: number, value: T | undefined): T | undefined {
  if (value !== undefined && !cache.has(version)) {
    cache.set(version, value);
    for (const old of cache.keys()) if (cache.size > KEPT) cache.delete(old);
  }
  return cache.get(version);
}

function handle(request: ThreadRequest): LabelAssignment[][] {
  const { taxonomyVersion: version, modelVersion } = request;
  const compiled = request.taxonomy && compileTaxonomy(request.taxonomy, version);
  const taxonomy = keep(taxonomies, version, compiled);
  if (taxonomy === undefined) throw new Error(`taxonomy version ${version} was never sent`);
  const stored = modelVersion === undefined ? undefined : keep(models, modelVersion, request.model);
  if (modelVersion !== undefined && stored === undefined)
    throw new Error(`model version ${modelVersion} was never sent`);
  return labelItems(request.items, taxonomy, decoded.get(stored));
}

if (parentPort) answerRequests(parentPort, handle);
