import type { AnalyzableItem, LabelAssignment } from "../analysis/rules.js";
import type { CompiledTaxonomy } from "../analysis/taxonomy.js";
import { modelEvidence, modelText } from "./item-text.js";
import type { ActiveModel } from "./store.js";

/**
 * How rules and the model combine, per label (`detect` in the taxonomy):
 * - `[rules]` (the default): only the rules apply it;
 * - `[model]`: only the model, when its confidence for the label reaches the
 *   label's `threshold` (default: the threshold the model learned for it);
 * - `[rules, model]`: either. When both would, the rules' assignment (with
 *   its exact evidence) is kept.
 * A model trained on single-label data gives an item at most its top label.
 */
export function withModelLabels(
  item: AnalyzableItem,
  taxonomy: CompiledTaxonomy,
  ruleAssignments: LabelAssignment[],
  model: ActiveModel | undefined,
): LabelAssignment[] {
  if (model === undefined) return ruleAssignments;
  const wanted = new Map(
    taxonomy.labels.flatMap((l) =>
      l.model !== undefined && l.kinds.includes(item.kind) ? [[l.name, l.model]] : [],
    ),
  );
  if (wanted.size === 0) return ruleAssignments;
  const text = modelText(item);
  if (text.trim() === "") return ruleAssignments;
  const { info } = model.classifier;
  const candidates = info.multiLabel
    ? model.classifier.scores(text)
    : model.classifier.scores(text).slice(0, 1);
  const byRules = new Set(ruleAssignments.map((a) => a.name));
  const chosen = candidates.filter((s) => {
    const label = wanted.get(s.label);
    if (label === undefined || byRules.has(s.label)) return false;
    return s.confidence >= (label.threshold ?? info.thresholds[s.label] ?? 0.5);
  });
  if (chosen.length === 0) return ruleAssignments;
  const words = new Map(model.classifier.predict(text).map((p) => [p.label, p.evidence]));
  const added: LabelAssignment[] = chosen.map((c) => ({
    name: c.label,
    source: "model",
    confidence: c.confidence,
    evidence: modelEvidence(item, words.get(c.label) ?? []),
  }));
  return [...ruleAssignments, ...added].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
