import { enqueueAnalysis } from "../analysis/enqueue.js";
import type { Database, Executor } from "../db/database.js";
import { AppError } from "../errors.js";
import { conversationNotFound, requireConversation } from "../items/conversations.js";
import { lockConversations, lockNotes } from "../items/lock.js";
import { noteNotFound, requireLatestVersion } from "../items/notes.js";
import type { Publisher } from "../pubsub/publish.js";
import type { ItemType } from "./assignments.js";
import { currentTaxonomy } from "./taxonomy-store.js";

/**
 * Labels people set or removed. A decision is kept apart from the labels it
 * produces, so re-analysis can respect it: a manual add stays, a manual
 * removal is never undone by a rule, until the label is handed back to the
 * analyzers. On notes, decisions belong to the note and carry over to new versions.
 */

/** Throws `conversation_not_found` or `note_not_found` unless the item exists. */
export async function assertItem(ex: Executor, itemType: ItemType, id: string): Promise<void> {
  if (itemType === "note") await requireLatestVersion(ex, id);
  else await requireConversation(ex, id);
}

/**
 * Locks the item for the rest of the transaction (items/lock.ts), so a
 * decision and an analysis committing at the same time happen one after the
 * other; throws `conversation_not_found` or `note_not_found` if it is gone.
 * Returns a note's latest version.
 */
async function lockItem(
  trx: Executor,
  dialect: Database["dialect"],
  itemType: ItemType,
  id: string,
): Promise<number | null> {
  if (itemType === "conversation") {
    if (!(await lockConversations(trx, dialect, [id], "update")).has(id)) throw conversationNotFound(id);
    return null;
  }
  const latest = (await lockNotes(trx, dialect, [id])).get(id);
  if (latest === undefined) throw noteNotFound(id);
  return latest;
}

/**
 * The label must exist in the current taxonomy: a typo must not become a label nobody can query,
 * nor a removal decision about a label nothing has.
 */
async function assertKnownLabel(ex: Executor, itemType: ItemType, name: string): Promise<number> {
  const taxonomy = await currentTaxonomy(ex);
  const label = taxonomy.labels.find((l) => l.name === name);
  if (!label) {
    throw new AppError(
      "unknown_label",
      `'${name}' is not a label of the current taxonomy (version ${taxonomy.version}).`,
      {
        label: name,
      },
    );
  }
  if (!label.applies_to.includes(itemType)) {
    throw new AppError(
      "unknown_label",
      `'${name}' does not apply to ${itemType}s (applies_to: ${label.applies_to.join(", ")}).`,
      {
        label: name,
      },
    );
  }
  return taxonomy.version;
}

async function decide(
  trx: Executor,
  itemType: ItemType,
  id: string,
  name: string,
  decision: "add" | "remove",
  now: number,
) {
  await trx
    .insertInto("manual_label_decisions")
    .values({ item_type: itemType, item_id: id, label: name, decision, decided_at: now })
    .onConflict((oc) =>
      oc.columns(["item_type", "item_id", "label"]).doUpdateSet({ decision, decided_at: now }),
    )
    .execute();
  await trx
    .insertInto("manual_label_events")
    .values({ item_type: itemType, item_id: id, label: name, action: decision, at: now })
    .execute();
}

export async function addManualLabel(
  trx: Executor,
  dialect: Database["dialect"],
  itemType: ItemType,
  id: string,
  name: string,
  now = Date.now(),
): Promise<void> {
  const latestVersion = await lockItem(trx, dialect, itemType, id);
  const taxonomyVersion = await assertKnownLabel(trx, itemType, name);
  await decide(trx, itemType, id, name, "add", now);
  const row = {
    source: "manual" as const,
    confidence: 1,
    evidence: "[]",
    analyzer_version: "manual",
    taxonomy_version: taxonomyVersion,
    note_version: latestVersion,
    analyzed_at: now,
  };
  await trx
    .insertInto("label_assignments")
    .values({ item_type: itemType, item_id: id, label: name, ...row })
    .onConflict((oc) => oc.columns(["item_type", "item_id", "label"]).doUpdateSet(row))
    .execute();
}

export async function removeManualLabel(
  trx: Executor,
  dialect: Database["dialect"],
  itemType: ItemType,
  id: string,
  name: string,
  now = Date.now(),
): Promise<void> {
  await lockItem(trx, dialect, itemType, id);
  // A label the item carries can always go, even one the current taxonomy dropped (or no longer
  // applies to this kind): a taxonomy change re-labels nothing, so only a person can remove it.
  const carried = await trx
    .selectFrom("label_assignments")
    .select("label")
    .where("item_type", "=", itemType)
    .where("item_id", "=", id)
    .where("label", "=", name)
    .executeTakeFirst();
  if (!carried) await assertKnownLabel(trx, itemType, name);
  await decide(trx, itemType, id, name, "remove", now);
  await trx
    .deleteFrom("label_assignments")
    .where("item_type", "=", itemType)
    .where("item_id", "=", id)
    .where("label", "=", name)
    .execute();
}

/**
 * Forgets the decision on a label and asks for the item's analysis in the same
 * transaction, so the analyzers' view of it is back within moments.
 */
export async function handBack(
  trx: Executor,
  dialect: Database["dialect"],
  publisher: Publisher,
  itemType: ItemType,
  id: string,
  name: string,
  now = Date.now(),
): Promise<void> {
  const latestVersion = await lockItem(trx, dialect, itemType, id);
  const decision = await trx
    .deleteFrom("manual_label_decisions")
    .where("item_type", "=", itemType)
    .where("item_id", "=", id)
    .where("label", "=", name)
    .returning("decision")
    .executeTakeFirst();
  if (!decision) {
    throw new AppError(
      "no_manual_decision",
      `Nobody set or removed '${name}' on this ${itemType}; nothing to hand back.`,
      {
        label: name,
      },
    );
  }
  if (decision.decision === "add") {
    await trx
      .deleteFrom("label_assignments")
      .where("item_type", "=", itemType)
      .where("item_id", "=", id)
      .where("label", "=", name)
      .where("source", "=", "manual")
      .execute();
  }
  await trx
    .insertInto("manual_label_events")
    .values({ item_type: itemType, item_id: id, label: name, action: "override", at: now })
    .execute();
  const key =
    latestVersion === null ? { conversation_fs_id: id } : { note_id: id, note_version: latestVersion };
  await enqueueAnalysis(trx, publisher, key);
}
