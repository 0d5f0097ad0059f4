import type { Executor } from "../db/database.js";

/**
 * Erases what analysis derived from an item: its labels and its analysis
 * runs. Messages about it may stay queued; when they run, the item is gone
 * and they complete with nothing to do.
 */
export async function deleteDerived(
  trx: Executor,
  itemType: "conversation" | "note",
  itemId: string,
): Promise<void> {
  await trx
    .deleteFrom("label_assignments")
    .where("item_type", "=", itemType)
    .where("item_id", "=", itemId)
    .execute();
  await trx
    .deleteFrom("analysis_runs")
    .where("item_type", "=", itemType)
    .where("item_id", "=", itemId)
    .execute();
}
