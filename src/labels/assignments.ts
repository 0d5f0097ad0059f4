import { z } from "zod";
import type { Evidence, LabelAssignment } from "../analysis/rules.js";
import { chunks } from "../db/chunks.js";
import type { Executor } from "../db/database.js";
import { type LabelSource, readJson } from "../db/schema.js";
import { pauseAt } from "../runners/pause-points.js";
import { toIso } from "../time.js";
import { currentLabelNames } from "./queries.js";

export type ItemType = "conversation" | "note";

export const labelOutput = z.object({
  name: z.string(),
  source: z.enum(["rule", "model", "llm", "manual"]),
  confidence: z.number(),
  evidence: z
    .array(
      z.object({
        rule: z.enum(["keyword", "all_keywords", "regex", "model"]),
        pattern: z.string(),
        field: z.enum(["subject", "message", "note"]),
        message_index: z.number().optional(),
        start: z.number(),
        end: z.number(),
        excerpt: z.string(),
      }),
    )
    .describe("what matched, where: text.slice(start, end) of the field (or message) is the match"),
  taxonomy_version: z.number().nullable(),
  model_version: z.number().nullable().describe("the model that applied it (source model), else null"),
  analyzed_at: z.string(),
  retired: z
    .boolean()
    .describe(
      "the current taxonomy no longer has this label: no analysis adds it again, and a person can remove it",
    ),
});

/** A current label of an item, as the API shows it. */
export interface Label {
  name: string;
  source: LabelSource;
  confidence: number;
  evidence: Evidence[];
  taxonomy_version: number | null;
  model_version: number | null;
  analyzed_at: string;
  /** The current taxonomy no longer has it. */
  retired: boolean;
}

/** The current labels of many items of one type: one query per chunk of ids, never one per item. */
export async function labelsOf(
  ex: Executor,
  itemType: ItemType,
  ids: string[],
): Promise<Map<string, Label[]>> {
  const result = new Map<string, Label[]>(ids.map((id) => [id, []]));
  let current: Set<string> | undefined;
  for (const part of chunks([...new Set(ids)])) {
    const rows = await ex
      .selectFrom("label_assignments")
      .selectAll()
      .where("item_type", "=", itemType)
      .where("item_id", "in", part)
      .orderBy("item_id")
      .orderBy("label")
      .execute();
    // Read the taxonomy once, and only when some item carries a label.
    if (rows.length > 0) current ??= await currentLabelNames(ex);
    for (const r of rows) {
      result.get(r.item_id)?.push({
        name: r.label,
        source: r.source,
        confidence: r.confidence,
        evidence: readJson<Evidence[]>(r.evidence),
        taxonomy_version: r.taxonomy_version,
        model_version: r.model_version ?? null,
        analyzed_at: toIso(r.analyzed_at),
        retired: !current?.has(r.label),
      });
    }
  }
  return result;
}

export interface AnalysisResult {
  itemType: ItemType;
  itemId: string;
  noteVersion: number | null;
  assignments: LabelAssignment[];
  taxonomyVersion: number;
  analyzerVersion: string;
  /** The model that took part (null: rules only). */
  modelVersion: number | null;
}

export interface LabelDiff {
  added: string[];
  removed: string[];
}

const ROW_PARAMS = 11;

/**
 * What replacing an item's analyzer-made labels with `assignments` changes.
 * People win: a rule never removes a label a person added, nor adds back one
 * a person removed.
 */
export function diffLabels(
  current: readonly Pick<Label, "name" | "source">[],
  assignments: LabelAssignment[],
  removedByPeople: ReadonlySet<string> = new Set(),
): { diff: LabelDiff; after: LabelAssignment[] } {
  const manual = new Set(current.filter((l) => l.source === "manual").map((l) => l.name));
  for (const name of removedByPeople) manual.add(name);
  const before = new Set(current.filter((l) => l.source !== "manual").map((l) => l.name));
  const after = assignments.filter((a) => !manual.has(a.name));
  const afterNames = new Set(after.map((a) => a.name));
  return {
    diff: {
      added: [...afterNames].filter((n) => !before.has(n)),
      removed: [...before].filter((n) => !afterNames.has(n)),
    },
    after,
  };
}

/** The names and sources of the current labels of many items: what a diff needs, no evidence to parse. */
async function labelSources(
  ex: Executor,
  itemType: ItemType,
  ids: string[],
): Promise<Map<string, Pick<Label, "name" | "source">[]>> {
  const result = new Map<string, Pick<Label, "name" | "source">[]>();
  for (const part of chunks([...new Set(ids)])) {
    const rows = await ex
      .selectFrom("label_assignments")
      .select(["item_id", "label", "source"])
      .where("item_type", "=", itemType)
      .where("item_id", "in", part)
      .execute();
    for (const r of rows) {
      const labels = result.get(r.item_id) ?? [];
      labels.push({ name: r.label, source: r.source });
      result.set(r.item_id, labels);
    }
  }
  return result;
}

/**
 * Replaces the analyzer-made labels of each item with its new assignments and
 * returns what changed per item. Set-based: per item type and chunk, one
 * upsert of every new assignment (a label that stays is updated in place, so
 * its index entries are left alone), and one delete per label that some items
 * lost. Manual labels are never touched, and a rule never adds a label a
 * person already set (nor one set concurrently: the upsert skips manual rows).
 */
export async function applyAnalysis(
  trx: Executor,
  results: AnalysisResult[],
  now = Date.now(),
): Promise<LabelDiff[]> {
  const diffs: LabelDiff[] = [];
  const positions = new Map(results.map((r, i) => [r, i]));
  for (const itemType of ["conversation", "note"] as const) {
    const ofType = results.filter((r) => r.itemType === itemType);
    if (ofType.length === 0) continue;
    const ids = ofType.map((r) => r.itemId);
    const current = await labelSources(trx, itemType, ids);
    const removed = await removedByPeople(trx, itemType, ids);
    await pauseAt("beforeLabelWrite");
    const rows = [];
    const lost = new Map<string, string[]>();
    for (const result of ofType) {
      const { diff, after } = diffLabels(
        current.get(result.itemId) ?? [],
        result.assignments,
        removed.get(result.itemId),
      );
      diffs[positions.get(result) as number] = diff;
      for (const name of diff.removed) {
        const items = lost.get(name) ?? [];
        items.push(result.itemId);
        lost.set(name, items);
      }
      for (const a of after) {
        rows.push({
          item_type: itemType,
          item_id: result.itemId,
          label: a.name,
          source: a.source ?? ("rule" as const),
          confidence: a.confidence,
          evidence: JSON.stringify(a.evidence),
          analyzer_version: result.analyzerVersion,
          taxonomy_version: result.taxonomyVersion,
          note_version: result.noteVersion,
          analyzed_at: now,
          model_version: a.source === "model" ? result.modelVersion : null,
        });
      }
    }
    for (const [label, itemIds] of lost) {
      for (const part of chunks(itemIds)) {
        await trx
          .deleteFrom("label_assignments")
          .where("label", "=", label)
          .where("item_type", "=", itemType)
          .where("item_id", "in", part)
          .where("source", "!=", "manual")
          .execute();
      }
    }
    for (const part of chunks(rows, ROW_PARAMS)) {
      await trx
        .insertInto("label_assignments")
        .values(part)
        .onConflict((oc) =>
          oc
            .columns(["item_type", "item_id", "label"])
            .doUpdateSet((eb) => ({
              source: eb.ref("excluded.source"),
              confidence: eb.ref("excluded.confidence"),
              evidence: eb.ref("excluded.evidence"),
              analyzer_version: eb.ref("excluded.analyzer_version"),
              taxonomy_version: eb.ref("excluded.taxonomy_version"),
              note_version: eb.ref("excluded.note_version"),
              analyzed_at: eb.ref("excluded.analyzed_at"),
              model_version: eb.ref("excluded.model_version"),
            }))
            .where("label_assignments.source", "!=", "manual"),
        )
        .execute();
    }
  }
  return diffs;
}

/** What `applyAnalysis` would change, without writing anything (dry runs). */
export async function previewAnalysis(ex: Executor, results: AnalysisResult[]): Promise<LabelDiff[]> {
  const current = new Map<string, Label[]>();
  for (const itemType of ["conversation", "note"] as const) {
    const ids = results.filter((r) => r.itemType === itemType).map((r) => r.itemId);
    if (ids.length === 0) continue;
    for (const [id, labels] of await labelsOf(ex, itemType, ids))
      current.set(`${itemType}\u0000${id}`, labels);
  }
  return results.map(
    (r) => diffLabels(current.get(`${r.itemType}\u0000${r.itemId}`) ?? [], r.assignments).diff,
  );
}

/** Labels people removed from items (and that analysis must not add back), per item. */
export async function removedByPeople(
  ex: Executor,
  itemType: ItemType,
  ids: string[],
): Promise<Map<string, Set<string>>> {
  const result = new Map<string, Set<string>>();
  for (const part of chunks([...new Set(ids)])) {
    const rows = await ex
      .selectFrom("manual_label_decisions")
      .select(["item_id", "label"])
      .where("item_type", "=", itemType)
      .where("item_id", "in", part)
      .where("decision", "=", "remove")
      .execute();
    for (const r of rows) {
      const names = result.get(r.item_id) ?? new Set<string>();
      names.add(r.label);
      result.set(r.item_id, names);
    }
  }
  return result;
}
