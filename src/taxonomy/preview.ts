import { type StoredItem, toAnalyzable } from "../analysis/item.js";
import type { AnalysisSetup } from "../analysis/label-items.js";
import type { LabelAssignment } from "../analysis/rules.js";
import type { AnalysisSetupCache } from "../analysis/setup.js";
import { compileTaxonomy } from "../analysis/taxonomy.js";
import type { AnalysisThreads } from "../analysis/threads.js";
import type { Executor } from "../db/database.js";
import { AppError } from "../errors.js";
import type { ItemType } from "../labels/assignments.js";
import { loadActiveModelBytes } from "../models/store.js";
import { toIso } from "../time.js";
import { effectiveLabels, type PeopleDecisions, peopleDecisions } from "./effective-labels.js";
import {
  countInRange,
  itemKey,
  loadContent,
  newestInRange,
  type PreviewRange,
  type RangeItem,
} from "./preview-items.js";

/**
 * A taxonomy preview: the items of a range analyzed with a proposed taxonomy
 * and with the current one, by the analysis runners use (rules, then the
 * active model where a label asks for it; big items in the analysis
 * threads, small ones here in slices that yield), compared as a re-label
 * would apply them (people's decisions win), and nothing written.
 *
 * Bounded so one request cannot hold the server: at most `items` items (the
 * newest), `text` characters of them, read and analyzed a chunk at a time,
 * and no new chunk once `timeMs` has passed. The answer says whether it saw
 * the whole range, and if not, which bound stopped it.
 */

export interface PreviewLimits {
  items: number;
  /** Characters of item text analyzed in all. */
  text: number;
  /** A chunk (one read, two analyses) holds at most this many items and characters. */
  chunkItems: number;
  chunkText: number;
  timeMs: number;
  samples: number;
}

export const PREVIEW_LIMITS: PreviewLimits = {
  items: 2_000,
  text: 16_000_000,
  chunkItems: 250,
  // One such chunk of big items under a heavy taxonomy analyzes in ~3 s (see analysis/threads.ts).
  chunkText: 1_000_000,
  timeMs: 10_000,
  samples: 10,
};

const EXCERPT_LENGTH = 200;

export interface TaxonomyPreview {
  type: PreviewRange["type"];
  from: string;
  until: string;
  current_version: number;
  model_version: number | null;
  items_in_range: number;
  items_examined: number;
  complete: boolean;
  capped_by: "items" | "text" | "time" | null;
  limits: { items: number; text_characters: number; time_ms: number };
  items_changed: number;
  changes: { label: string; gained: number; lost: number }[];
  samples: {
    type: ItemType;
    id: string;
    note_version: number | null;
    excerpt: string;
    before: string[];
    after: string[];
  }[];
  elapsed_ms: number;
}

export interface PreviewDeps {
  /** Where the items and labels are read (on SQLite, the read threads). */
  reads: Executor;
  setups: AnalysisSetupCache;
  threads: Pick<AnalysisThreads, "label">;
}

/**
 * A proposal is compiled under a version no stored taxonomy has: negative,
 * and new for each preview, because analysis threads keep compiled
 * taxonomies by version.
 */
let nextProposal = -1;

export async function previewTaxonomy(
  deps: PreviewDeps,
  request: { taxonomy: unknown; range: PreviewRange },
  options: { limits?: Partial<PreviewLimits>; signal?: AbortSignal } = {},
): Promise<TaxonomyPreview> {
  const started = performance.now();
  const limits = { ...PREVIEW_LIMITS, ...options.limits };
  // The same 400 `invalid_taxonomy`, per label and field, that PUT /api/taxonomy answers.
  const proposed = compileTaxonomy(request.taxonomy, nextProposal--);
  const current = await deps.setups.current(deps.reads);
  const needsModel = proposed.labels.some((l) => l.model !== undefined);
  const proposal: AnalysisSetup = {
    taxonomy: proposed,
    model: needsModel ? (current.model ?? (await loadActiveModelBytes(deps.reads))) : undefined,
  };
  const { range } = request;
  const listed = await newestInRange(deps.reads, range, limits.items);
  const inRange = await countInRange(deps.reads, range);

  const counts = new Map<string, { gained: number; lost: number }>();
  const samples: TaxonomyPreview["samples"] = [];
  let examined = 0;
  let changed = 0;
  let cappedBy: TaxonomyPreview["capped_by"] = listed.more ? "items" : null;
  let textLeft = limits.text;
  let next = 0;
  while (next < listed.items.length) {
    if (options.signal?.aborted) throw new AppError("bad_request", "The client went away.");
    if (performance.now() - started >= limits.timeMs) {
      cappedBy = "time";
      break;
    }
    const chunk: RangeItem[] = [];
    let chunkText = 0;
    for (; next < listed.items.length && chunk.length < limits.chunkItems; next++) {
      const item = listed.items[next] as RangeItem;
      if (chunk.length > 0 && chunkText + item.bytes > limits.chunkText) break;
      if (item.bytes > textLeft) break;
      chunk.push(item);
      chunkText += item.bytes;
      textLeft -= item.bytes;
    }
    if (chunk.length === 0) {
      cappedBy = "text";
      break;
    }
    const content = await loadContent(deps.reads, chunk);
    const present = chunk.filter((item) => content.has(itemKey(item.type, item.id)));
    const stored = present.map((item) => content.get(itemKey(item.type, item.id)) as StoredItem);
    const before = await deps.threads.label(stored, current);
    const after = await deps.threads.label(stored, proposal);
    const people = await decisionsOf(deps.reads, present);
    present.forEach((item, i) => {
      const decided = people[item.type];
      const manual = decided.added.get(item.id);
      const removed = decided.removed.get(item.id);
      const was = effectiveLabels(before[i] as LabelAssignment[], manual, removed);
      const will = effectiveLabels(after[i] as LabelAssignment[], manual, removed);
      const gained = will.filter((name) => !was.includes(name));
      const lost = was.filter((name) => !will.includes(name));
      examined++;
      if (gained.length === 0 && lost.length === 0) return;
      changed++;
      for (const name of gained) count(counts, name).gained++;
      for (const name of lost) count(counts, name).lost++;
      if (samples.length < limits.samples) {
        samples.push({
          type: item.type,
          id: item.id,
          note_version: item.noteVersion,
          excerpt: excerptOf(stored[i] as StoredItem),
          before: was,
          after: will,
        });
      }
    });
  }

  return {
    type: range.type,
    from: toIso(range.from),
    until: toIso(range.until),
    current_version: current.taxonomy.version,
    model_version: current.model?.version ?? proposal.model?.version ?? null,
    items_in_range: Math.max(inRange, listed.items.length),
    items_examined: examined,
    complete: cappedBy === null,
    capped_by: cappedBy,
    limits: { items: limits.items, text_characters: limits.text, time_ms: limits.timeMs },
    items_changed: changed,
    changes: [...counts]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([label, c]) => ({ label, ...c })),
    samples,
    elapsed_ms: Math.round(performance.now() - started),
  };
}

function count(counts: Map<string, { gained: number; lost: number }>, name: string) {
  let c = counts.get(name);
  if (c === undefined) {
    c = { gained: 0, lost: 0 };
    counts.set(name, c);
  }
  return c;
}

async function decisionsOf(ex: Executor, items: RangeItem[]): Promise<Record<ItemType, PeopleDecisions>> {
  const ids = (type: ItemType) => items.filter((i) => i.type === type).map((i) => i.id);
  const [conversation, note] = await Promise.all([
    peopleDecisions(ex, "conversation", ids("conversation")),
    peopleDecisions(ex, "note", ids("note")),
  ]);
  return { conversation, note };
}

/** What a person recognizes an item by: a conversation's subject (else its first message), a note's text. */
function excerptOf(stored: StoredItem): string {
  const item = toAnalyzable(stored);
  const text =
    item.kind === "note"
      ? item.text
      : item.subject.trim() !== ""
        ? item.subject
        : (item.messages.find((m) => m.text.trim() !== "")?.text ?? "");
  // Cut before collapsing whitespace (an item may be a megabyte), never inside a surrogate pair.
  const head = text.slice(0, EXCERPT_LENGTH * 4).replace(/[\uD800-\uDBFF]$/, "");
  const flat = head.replace(/\s+/g, " ").trim();
  const chars = [...flat];
  return chars.length > EXCERPT_LENGTH ? `${chars.slice(0, EXCERPT_LENGTH).join("")}…` : flat;
}
