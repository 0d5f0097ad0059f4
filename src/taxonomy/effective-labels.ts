import type { LabelAssignment } from "../analysis/rules.js";
import { chunks } from "../db/chunks.js";
import type { Executor } from "../db/database.js";
import { diffLabels, type ItemType, removedByPeople } from "../labels/assignments.js";

/**
 * What people decided about some items' labels: the labels they added
 * (`source: manual`) and the ones they removed. Analysis never undoes either,
 * so a preview must not count them as changes.
 */
export interface PeopleDecisions {
  added: Map<string, string[]>;
  removed: Map<string, Set<string>>;
}

export async function peopleDecisions(ex: Executor, type: ItemType, ids: string[]): Promise<PeopleDecisions> {
  const added = new Map<string, string[]>();
  for (const part of chunks([...new Set(ids)])) {
    const rows = await ex
      .selectFrom("label_assignments")
      .select(["item_id", "label"])
      .where("item_type", "=", type)
      .where("item_id", "in", part)
      .where("source", "=", "manual")
      .execute();
    for (const r of rows) added.set(r.item_id, [...(added.get(r.item_id) ?? []), r.label]);
  }
  return { added, removed: await removedByPeople(ex, type, ids) };
}

/**
 * The names of the labels an item carries once analyzed with `assignments`,
 * sorted: the labels people added, and what the analysis assigns except what
 * people decided (the same rule `applyAnalysis` writes by: `diffLabels`).
 */
export function effectiveLabels(
  assignments: LabelAssignment[],
  manual: readonly string[] = [],
  removed?: ReadonlySet<string>,
): string[] {
  const current = manual.map((name) => ({ name, source: "manual" as const }));
  const { after } = diffLabels(current, assignments, removed);
  return [...new Set([...manual, ...after.map((a) => a.name)])].sort();
}
