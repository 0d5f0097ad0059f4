import { createHash } from "node:crypto";
import type { Example } from "../classifier/index.js";
import type { EvaluationReport } from "./evaluation.js";

/**
 * Reports of scoring a stored model on a set of examples, so that a page that
 * shows a version's evaluation on every visit does not score it anew each time.
 *
 * The key is the model (version and creation time: a version is never edited)
 * and a digest of the very examples scored, texts and labels. So any change to
 * the ground truth — a label a person added or withdrew, an item erased, an
 * item's text replaced — makes a new key; a count of decisions or their latest
 * id would miss a replaced text. Digesting a few MB takes milliseconds; the
 * scoring it saves takes seconds of a worker thread.
 */
export class EvaluationCache {
  readonly #reports = new Map<string, EvaluationReport>();

  constructor(readonly capacity = 32) {}

  key(model: { version: number; createdAt: number }, examples: readonly Example[]): string {
    const hash = createHash("sha256");
    hash.update(`${model.version}\u0000${model.createdAt}\u0000${examples.length}\u0000`);
    // Lengths first, so no two different lists of strings digest alike.
    for (const e of examples) {
      hash.update(`${e.text.length}:${e.text}${e.labels.length}:`);
      for (const label of e.labels) hash.update(`${label.length}:${label}`);
    }
    return hash.digest("hex");
  }

  get(key: string): EvaluationReport | undefined {
    const report = this.#reports.get(key);
    if (report === undefined) return undefined;
    // Least recently used goes first: re-insert to mark it used.
    this.#reports.delete(key);
    this.#reports.set(key, report);
    return report;
  }

  set(key: string, report: EvaluationReport): void {
    this.#reports.delete(key);
    this.#reports.set(key, report);
    while (this.#reports.size > this.capacity) {
      const oldest = this.#reports.keys().next().value as string;
      this.#reports.delete(oldest);
    }
  }
}
