import { findSpans } from "./regex.js";
import type { CompiledRegex, CompiledTaxonomy, FieldClass, FieldIndex } from "./taxonomy.js";

export type { ItemKind } from "./taxonomy.js";

/**
 * The rules analyzer: labels one item from a compiled taxonomy, pure (no I/O,
 * no clock), so the same item and taxonomy version always get the same labels.
 *
 * A label applies to an item when all of these hold (docs/taxonomy.md says
 * the same for taxonomy authors):
 * 1. its `applies_to` includes the item's kind, and it has at least one
 *    positive rule (`keywords`, `all_keywords` or `regex`);
 * 2. if it has `keywords` or `regex`, at least one of them matches in scope;
 * 3. if it has `all_keywords`, every one of them appears in scope;
 * 4. none of its `none_keywords` appears in scope.
 * A label without positive rules is only ever applied by hand or by a model.
 *
 * Work per item barely grows with the number of labels: each field is
 * tokenized once, each token looked up once in the taxonomy's vocabulary, and
 * a known token's id leads straight to the keywords of all labels that start
 * with it; the regexes that read a field run as one set (one pass over the
 * text), and only those that match are searched again for evidence, and only
 * for labels still in the running.
 */

export const ANALYZER_VERSION = "rules-1";

export type AnalyzableItem =
  | {
      kind: "conversation";
      subject: string;
      messages: { role: "customer" | "agent" | "system"; text: string }[];
    }
  | { kind: "note"; text: string };

export interface Evidence {
  rule: "keyword" | "all_keywords" | "regex" | "model";
  /** The keyword as written in the taxonomy, the regex's source, or a word that drove the model. */
  pattern: string;
  field: "subject" | "message" | "note";
  message_index?: number;
  /** UTF-16 offsets into the field's original text: `text.slice(start, end)` is the match. */
  start: number;
  end: number;
  /** The matched text, cut to 80 characters (then ending with "…"). */
  excerpt: string;
}

export interface LabelAssignment {
  name: string;
  /** Who applied it: the rules (absent) or the active model. */
  source?: "model";
  /** 1 when a keyword or regex matched; 0.8 when only `all_keywords` are met (words anywhere in scope). */
  confidence: number;
  /** Up to 5 keyword/regex matches (the first in item order), then the first place of each all_keyword (up to 5). */
  evidence: Evidence[];
}

const MAX_EVIDENCE = 5;
const MAX_EXCERPT = 80;
const CONFIDENCE_MATCH = 1;
const CONFIDENCE_ALL_KEYWORDS = 0.8;

interface Field {
  fieldClass: FieldClass;
  text: string;
  field: Evidence["field"];
  messageIndex?: number;
  /** Position in the item: evidence is listed in this order. */
  order: number;
}

interface PendingRegex {
  field: Field;
  index: number;
}

/** What one item has shown so far about one label. */
interface LabelState {
  excluded: boolean;
  /** Keyword matches, in item order, at most MAX_EVIDENCE. */
  keywordHits: Evidence[];
  /** First place of each all_keyword found so far. */
  allFound: (Evidence | undefined)[];
  allCount: number;
  /** Regexes known to match somewhere in a field, in item order: spans are found only if needed. */
  regexMatches: PendingRegex[];
}

function fieldsOf(item: AnalyzableItem): Field[] {
  if (item.kind === "note") return [{ fieldClass: "note", text: item.text, field: "note", order: 0 }];
  const fields: Field[] = [{ fieldClass: "subject", text: item.subject, field: "subject", order: 0 }];
  for (let i = 0; i < item.messages.length; i++) {
    const { role, text } = item.messages[i] as (typeof item.messages)[number];
    fields.push({ fieldClass: role, text, field: "message", messageIndex: i, order: i + 1 });
  }
  return fields;
}

function evidence(
  rule: Evidence["rule"],
  pattern: string,
  field: Field,
  start: number,
  end: number,
): Evidence {
  let excerpt = field.text.slice(start, end);
  if (excerpt.length > MAX_EXCERPT) {
    // Never cut a surrogate pair in half.
    const cut = /[\uD800-\uDBFF]/.test(excerpt.charAt(MAX_EXCERPT - 1)) ? MAX_EXCERPT - 1 : MAX_EXCERPT;
    excerpt = `${excerpt.slice(0, cut)}…`;
  }
  return field.messageIndex === undefined
    ? { rule, pattern, field: field.field, start, end, excerpt }
    : { rule, pattern, field: field.field, message_index: field.messageIndex, start, end, excerpt };
}

function stateOf(states: Map<number, LabelState>, label: number): LabelState {
  let state = states.get(label);
  if (!state) {
    state = { excluded: false, keywordHits: [], allFound: [], allCount: 0, regexMatches: [] };
    states.set(label, state);
  }
  return state;
}

function scanKeywords(field: Field, taxonomy: CompiledTaxonomy, states: Map<number, LabelState>): void {
  const index = taxonomy.fields[field.fieldClass];
  const { count, at } = taxonomy.vocabulary.known(field.text);
  for (let t = 0; t < count; t++) {
    const entries = index.phrases[at[4 * t] as number];
    if (entries === undefined) continue;
    for (const entry of entries) {
      // The phrase's other tokens must be the next tokens of the text, all known.
      const ids = entry.phrase.ids;
      let k = 1;
      while (
        k < ids.length &&
        t + k < count &&
        at[4 * (t + k)] === ids[k] &&
        at[4 * (t + k) + 1] === (at[4 * t + 1] as number) + k
      ) {
        k++;
      }
      if (k < ids.length) continue;
      const state = stateOf(states, entry.label);
      if (state.excluded) continue;
      const from = at[4 * t + 2] as number;
      const to = at[4 * (t + k - 1) + 3] as number;
      if (entry.rule === "none_keywords") {
        state.excluded = true;
      } else if (entry.rule === "all_keywords") {
        if (state.allFound[entry.index] === undefined) {
          state.allFound[entry.index] = evidence("all_keywords", entry.phrase.text, field, from, to);
          state.allCount++;
        }
      } else if (state.keywordHits.length < MAX_EVIDENCE) {
        state.keywordHits.push(evidence("keyword", entry.phrase.text, field, from, to));
      }
    }
  }
}

function scanRegexes(field: Field, index: FieldIndex, states: Map<number, LabelState>): void {
  for (const id of index.regexSet.matching(field.text)) {
    const owner = index.regexOwners[id];
    if (owner !== undefined) stateOf(states, owner.label).regexMatches.push({ field, index: owner.index });
  }
}

/** Evidence is listed in item order: subject (or note), then messages in order, then by offset. */
const orderOf = (e: Evidence) => (e.message_index ?? -1) + 1;
const byPlace = (a: Evidence, b: Evidence) => orderOf(a) - orderOf(b) || a.start - b.start || a.end - b.end;

/**
 * Spans of the regexes that matched, but only while they can still be among
 * the first MAX_EVIDENCE matches: regex searches are the costly part.
 */
function regexEvidence(state: LabelState, regexes: CompiledRegex[]): Evidence[] {
  const found: Evidence[] = [];
  for (const { field, index } of state.regexMatches) {
    const earlier = (e: Evidence) => orderOf(e) < field.order;
    if (found.filter(earlier).length + state.keywordHits.filter(earlier).length >= MAX_EVIDENCE) break;
    const { source, regex } = regexes[index] as CompiledRegex;
    for (const span of findSpans(regex, field.text, MAX_EVIDENCE)) {
      found.push(evidence("regex", source, field, span.start, span.end));
    }
  }
  return found;
}

function assign(state: LabelState, taxonomy: CompiledTaxonomy, label: number): LabelAssignment | undefined {
  const compiled = taxonomy.labels[label];
  if (compiled === undefined || state.excluded || state.allCount < compiled.allKeywords.length)
    return undefined;
  const allEvidence = state.allFound.filter((e) => e !== undefined).slice(0, MAX_EVIDENCE);
  if (compiled.keywords.length === 0 && compiled.regex.length === 0) {
    return { name: compiled.name, confidence: CONFIDENCE_ALL_KEYWORDS, evidence: allEvidence };
  }
  const matches = [...state.keywordHits, ...regexEvidence(state, compiled.regex)].sort(byPlace);
  if (matches.length === 0) return undefined;
  return {
    name: compiled.name,
    confidence: CONFIDENCE_MATCH,
    evidence: [...matches.slice(0, MAX_EVIDENCE), ...allEvidence],
  };
}

/** The labels the taxonomy's rules give an item, sorted by name, each with its evidence. */
export function analyze(item: AnalyzableItem, taxonomy: CompiledTaxonomy): LabelAssignment[] {
  const states = new Map<number, LabelState>();
  for (const field of fieldsOf(item)) {
    const index = taxonomy.fields[field.fieldClass];
    if (index.phraseCount > 0) scanKeywords(field, taxonomy, states);
    if (index.regexSet.size > 0) scanRegexes(field, index, states);
  }
  const assignments: LabelAssignment[] = [];
  // Labels are sorted by name, so label order is name order.
  for (const label of [...states.keys()].sort((a, b) => a - b)) {
    const assignment = assign(states.get(label) as LabelState, taxonomy, label);
    if (assignment) assignments.push(assignment);
  }
  return assignments;
}
