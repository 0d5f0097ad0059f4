import type { Executor } from "../db/database.js";

/**
 * Erases what was derived from an item or decided about it: its labels, its
 * analysis runs, and people's label decisions with their history, so an item
 * later created under the same id starts with nothing of the erased one.
 * Messages about it may stay queued; when they run, the item is gone and
 * they complete with nothing to do. Callers delete (so lock) the item's own
 * row first: an analysis committing at the same time holds that row and is
 * waited for, then erased with the rest (see analysis/topic.ts).
 */
export async function deleteDerived(
  trx: Executor,
  itemType: "conversation" | "note",
  itemId: string,
): Promise<void> {
  for (const table of [
    "label_assignments",
    "analysis_runs",
    "manual_label_decisions",
    "manual_label_events",
  ] as const) {
    await trx.deleteFrom(table).where("item_type", "=", itemType).where("item_id", "=", itemId).execute();
  }
}
