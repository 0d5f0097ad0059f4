import type { Executor } from "../db/database.js";
import { readJson } from "../db/schema.js";
import { toIso } from "../time.js";
import type { ItemType } from "./assignments.js";

export interface HistoryEntry {
  at: string;
  /** `analysis`: a run of the analyzers; `manual`: a person's decision. */
  kind: "analysis" | "manual";
  added: string[];
  removed: string[];
  /** analysis: the run, its message, the reanalysis job (if any) and what it ran with. */
  run_id?: number;
  message_id?: number | null;
  job_id?: number | null;
  taxonomy_version?: number | null;
  analyzer_version?: string | null;
  /** The model that took part in the run (null: rules only). */
  model_version?: number | null;
  note_version?: number | null;
  /** analysis of an older note version: analyzed, but the note's labels left alone. */
  applied?: boolean;
  /** manual: `add`, `remove`, or `override` (handed back to the analyzers). */
  action?: "add" | "remove" | "override";
  /** manual: the label decided on (an override adds and removes nothing, so only this names it). */
  label?: string;
}

/** An item's label changes, newest first: analysis runs and people's decisions, merged. */
export async function labelHistory(
  ex: Executor,
  itemType: ItemType,
  id: string,
  limit: number,
): Promise<HistoryEntry[]> {
  const runs = await ex
    .selectFrom("analysis_runs")
    .selectAll()
    .where("item_type", "=", itemType)
    .where("item_id", "=", id)
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  const events = await ex
    .selectFrom("manual_label_events")
    .selectAll()
    .where("item_type", "=", itemType)
    .where("item_id", "=", id)
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  const entries: (HistoryEntry & { ms: number })[] = [
    ...runs.map((r) => ({
      ms: r.analyzed_at,
      at: toIso(r.analyzed_at),
      kind: "analysis" as const,
      added: readJson<string[]>(r.added),
      removed: readJson<string[]>(r.removed),
      run_id: r.id,
      message_id: r.message_id,
      job_id: r.job_id,
      taxonomy_version: r.taxonomy_version,
      analyzer_version: r.analyzer_version,
      model_version: r.model_version ?? null,
      note_version: r.note_version,
      applied: Boolean(r.applied),
    })),
    ...events.map((e) => ({
      ms: e.at,
      at: toIso(e.at),
      kind: "manual" as const,
      added: e.action === "add" ? [e.label] : [],
      removed: e.action === "remove" ? [e.label] : [],
      action: e.action,
      label: e.label,
    })),
  ];
  return entries
    .sort((a, b) => b.ms - a.ms)
    .slice(0, limit)
    .map(({ ms: _ms, ...entry }) => entry);
}
