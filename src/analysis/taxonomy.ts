import { z } from "zod";
import { AppError } from "../errors.js";
import { textSchema } from "../validation.js";
import { compileRegex, MAX_TOTAL_PROGRAM, programSize, type Regex, RegexSet } from "./regex.js";
import { tokenize } from "./tokens.js";
import { Vocabulary } from "./vocabulary.js";

/**
 * A taxonomy is checked and compiled once per version into the indexes the
 * analyzer needs (`rules.ts`), so analyzing an item never re-reads the
 * taxonomy label by label. How the rules combine is documented there and in
 * docs/taxonomy.md.
 */

export const ITEM_KINDS = ["conversation", "note"] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];
export const SCOPES = ["any", "subject", "customer", "agent"] as const;
export type Scope = (typeof SCOPES)[number];
/** Where text is found in an item; a label's kinds and scope decide which of these it reads. */
/** What can apply a label: the taxonomy's rules, the active learned model, or either. */
export const DETECTORS = ["rules", "model"] as const;
export type Detector = (typeof DETECTORS)[number];
export const FIELD_CLASSES = ["subject", "customer", "agent", "system", "note"] as const;
export type FieldClass = (typeof FIELD_CLASSES)[number];

const MAX_LABELS = 2000;
const MAX_KEYWORDS = 500;
const MAX_REGEX = 50;
const MAX_REGEX_LENGTH = 1000;
const MAX_EXAMPLES = 1000;

// Segments of lowercase ASCII letters, digits, `_`, `-` and `.`, not dots only (`..` would
// be rewritten in a URL), joined by single slashes. Unambiguous, so it cannot backtrack badly.
const NAME = /^\.*[a-z0-9_-][a-z0-9_.-]*(?:\/\.*[a-z0-9_-][a-z0-9_.-]*)*$/;

const labelName = z
  .string()
  .min(1)
  .max(100)
  .regex(
    NAME,
    "must be lowercase segments of a-z, 0-9, '_', '-', '.' (not dots only) joined by single '/', e.g. billing/refund",
  );

const keywordList = z.array(textSchema(200)).max(MAX_KEYWORDS).default([]);

const rulesSchema = z.strictObject({
  keywords: keywordList.describe("ANY of these words or phrases (whole tokens, case-insensitive)"),
  all_keywords: keywordList.describe("ALL of these must appear somewhere in scope"),
  none_keywords: keywordList.describe("if ANY of these appears in scope, the label does not apply"),
  regex: z
    .array(textSchema(MAX_REGEX_LENGTH))
    .max(MAX_REGEX)
    .default([])
    .describe("RE2 patterns, case-insensitive"),
  scope: z.enum(SCOPES).default("any").describe("where to look in a conversation; a note is always its text"),
});

const labelSchema = z.strictObject({
  name: labelName,
  description: textSchema(2000).optional(),
  applies_to: z.array(z.enum(ITEM_KINDS)).min(1).default(["conversation", "note"]),
  rules: rulesSchema.prefault({}),
  examples: z
    .array(textSchema(10_000))
    .max(MAX_EXAMPLES)
    .optional()
    .describe("texts that carry this label: training examples for the model (rules ignore them)"),
  detect: z
    .array(z.enum(DETECTORS))
    .min(1)
    .default(["rules"])
    .describe("what applies the label: its rules, the active model, or either (both listed)"),
  threshold: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe("the model confidence that applies the label; default: the threshold the model learned for it"),
});

export const taxonomyInput = z.strictObject({ labels: z.array(labelSchema).max(MAX_LABELS) });
export type TaxonomyInput = z.output<typeof taxonomyInput>;
type LabelInput = TaxonomyInput["labels"][number];

// Checked first on its own, so each label can then be checked separately and all problems reported.
const taxonomyShell = z.strictObject({ labels: z.array(z.unknown()).max(MAX_LABELS) });
const ALLOWED_FIELDS = {
  taxonomy: Object.keys(taxonomyInput.shape),
  label: Object.keys(labelSchema.shape),
  rules: Object.keys(rulesSchema.shape),
} satisfies Record<string, string[]>;

/** A keyword as written and as the tokens it must match, consecutively. */
export interface Phrase {
  text: string;
  tokens: string[];
  /** The tokens' ids in the taxonomy's vocabulary. */
  ids: number[];
}

export interface CompiledRegex {
  source: string;
  regex: Regex;
}

export interface CompiledLabel {
  name: string;
  kinds: readonly ItemKind[];
  scope: Scope;
  keywords: Phrase[];
  allKeywords: Phrase[];
  noneKeywords: Phrase[];
  regex: CompiledRegex[];
  /** False for a label with no keyword, all_keyword or regex, or not detected by rules: rules never apply it. */
  positive: boolean;
  /** Whether the active model may apply it, and at what confidence (undefined: the model's own threshold). */
  model: { threshold?: number } | undefined;
}

export type PhraseRule = "keyword" | "all_keywords" | "none_keywords";

/** One keyword of one label, filed under the keyword's first token. */
export interface PhraseEntry {
  label: number;
  rule: PhraseRule;
  /** Index in the label's list of that rule. */
  index: number;
  phrase: Phrase;
}

/** What the analyzer looks for in one class of field, for all labels at once. */
export interface FieldIndex {
  /** Vocabulary id of a keyword's first token → every keyword of any label starting with it. */
  phrases: (PhraseEntry[] | undefined)[];
  phraseCount: number;
  /** The regexes of all labels reading this field class, in one set… */
  regexSet: RegexSet;
  /** …and whose they are: set index → label and index in its `regex`. */
  regexOwners: { label: number; index: number }[];
}

export interface CompiledTaxonomy {
  version: number;
  /** Sorted by name, so the analyzer's output, in label order, is too. */
  labels: CompiledLabel[];
  /** The taxonomy as accepted, defaults filled in. */
  input: TaxonomyInput;
  fields: Record<FieldClass, FieldIndex>;
  vocabulary: Vocabulary;
}

export interface TaxonomyIssue {
  /** The label's name as given, `labels[i]` when it has none, null for the taxonomy as a whole. */
  label: string | null;
  /** Path inside the label (or the taxonomy), e.g. `rules.regex[1]`. */
  field: string;
  message: string;
}

/** The field classes a label reads: its kinds, narrowed for conversations by its scope. */
export function fieldClassesOf(kinds: readonly ItemKind[], scope: Scope): FieldClass[] {
  const classes: FieldClass[] = [];
  if (kinds.includes("conversation")) {
    if (scope === "any") classes.push("subject", "customer", "agent", "system");
    else classes.push(scope);
  }
  if (kinds.includes("note")) classes.push("note");
  return classes;
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

function zodIssues(
  error: z.ZodError,
  label: string | null,
  allowed: (depth: number) => string,
): TaxonomyIssue[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        label,
        field: fieldPath([...issue.path, key]),
        message: `unknown field; allowed: ${allowed(issue.path.length)}`,
      }));
    }
    return [{ label, field: fieldPath(issue.path), message: issue.message }];
  });
}

interface CompileContext {
  issues: TaxonomyIssue[];
  /** Shared by all labels: every keyword token gets its id there. */
  vocabulary: Vocabulary;
}

/** `label` names the label in issues: its name, or `labels[i]` when it has none. */
function phrasesOf(label: string, field: string, keywords: string[], context: CompileContext): Phrase[] {
  const seen = new Set<string>();
  const phrases: Phrase[] = [];
  keywords.forEach((text, i) => {
    const tokens = tokenize(text).norm;
    if (tokens.length === 0) {
      const why = text.trim() === "" ? "is empty" : "has no letters or digits, so it can never match";
      context.issues.push({ label, field: `rules.${field}[${i}]`, message: `'${text}' ${why}` });
      return;
    }
    // The same keyword twice (say "Refund" and "refund") would only repeat its evidence.
    const key = tokens.join(" ");
    if (seen.has(key)) return;
    seen.add(key);
    phrases.push({ text, tokens, ids: tokens.map((token) => context.vocabulary.add(token)) });
  });
  return phrases;
}

type RulesInput = LabelInput["rules"];
type CompiledRules = Pick<CompiledLabel, "keywords" | "allKeywords" | "noneKeywords" | "regex">;

function compileRules(label: string, rules: RulesInput, context: CompileContext): CompiledRules {
  const regex: CompiledRegex[] = [];
  rules.regex.forEach((source, i) => {
    const compiled = compileRegex(source);
    if ("problem" in compiled) {
      context.issues.push({ label, field: `rules.regex[${i}]`, message: `'${source}' ${compiled.problem}` });
    } else {
      regex.push({ source, regex: compiled });
    }
  });
  return {
    keywords: phrasesOf(label, "keywords", rules.keywords, context),
    allKeywords: phrasesOf(label, "all_keywords", rules.all_keywords, context),
    noneKeywords: phrasesOf(label, "none_keywords", rules.none_keywords, context),
    regex,
  };
}

function compileLabel(input: LabelInput, context: CompileContext): CompiledLabel {
  const rules = compileRules(input.name, input.rules, context);
  return {
    name: input.name,
    kinds: ITEM_KINDS.filter((kind) => input.applies_to.includes(kind)),
    scope: input.rules.scope,
    ...rules,
    positive:
      input.detect.includes("rules") &&
      (rules.keywords.length > 0 || rules.allKeywords.length > 0 || rules.regex.length > 0),
    model: input.detect.includes("model") ? { threshold: input.threshold } : undefined,
  };
}

function buildIndex(labels: CompiledLabel[], fieldClass: FieldClass): FieldIndex {
  const phrases: (PhraseEntry[] | undefined)[] = [];
  let phraseCount = 0;
  const regexes: Regex[] = [];
  const regexOwners: FieldIndex["regexOwners"] = [];
  labels.forEach((label, l) => {
    if (!label.positive || !fieldClassesOf(label.kinds, label.scope).includes(fieldClass)) return;
    const lists: [PhraseRule, Phrase[]][] = [
      ["keyword", label.keywords],
      ["all_keywords", label.allKeywords],
      ["none_keywords", label.noneKeywords],
    ];
    for (const [rule, list] of lists) {
      list.forEach((phrase, index) => {
        const first = phrase.ids[0] as number;
        const entry = { label: l, rule, index, phrase };
        const filed = phrases[first];
        if (filed) filed.push(entry);
        else phrases[first] = [entry];
        phraseCount++;
      });
    }
    label.regex.forEach((r, index) => {
      regexes.push(r.regex);
      regexOwners.push({ label: l, index });
    });
  });
  return { phrases, phraseCount, regexSet: new RegexSet(regexes), regexOwners };
}

function invalidTaxonomy(issues: TaxonomyIssue[]): AppError {
  const [first] = issues;
  const where = first?.label === null || first === undefined ? "taxonomy" : `label '${first.label}'`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem(s), see details.issues)` : "";
  const field = first?.field ? `${first.field}: ` : "";
  return new AppError("invalid_taxonomy", `${where}: ${field}${first?.message}${more}`, { issues });
}

/**
 * Checks a taxonomy (any JSON value) and compiles it; throws `invalid_taxonomy`
 * listing every problem found, each naming its label.
 */
export function compileTaxonomy(input: unknown, version: number): CompiledTaxonomy {
  const shell = taxonomyShell.safeParse(input);
  if (!shell.success) {
    throw invalidTaxonomy(zodIssues(shell.error, null, () => ALLOWED_FIELDS.taxonomy.join(", ")));
  }
  const issues: TaxonomyIssue[] = [];
  const context: CompileContext = { issues, vocabulary: new Vocabulary() };
  const accepted: LabelInput[] = [];
  const compiled: CompiledLabel[] = [];
  const firstByName = new Map<string, number>();
  shell.data.labels.forEach((raw, i) => {
    const { name, rules } = (raw ?? {}) as { name?: unknown; rules?: unknown };
    const label = typeof name === "string" && name !== "" ? name : `labels[${i}]`;
    if (typeof name === "string") {
      const seenAt = firstByName.get(name);
      if (seenAt !== undefined)
        issues.push({ label, field: "name", message: `is also the name of labels[${seenAt}]` });
      else firstByName.set(name, i);
    }
    const parsed = labelSchema.safeParse(raw);
    if (!parsed.success) {
      const allowed = (depth: number) =>
        (depth === 0 ? ALLOWED_FIELDS.label : ALLOWED_FIELDS.rules).join(", ");
      issues.push(...zodIssues(parsed.error, label, allowed));
      // Well-formed rules of an otherwise bad label still get their regexes and keywords checked.
      const parsedRules = rulesSchema.safeParse(rules ?? {});
      if (parsedRules.success) compileRules(label, parsedRules.data, context);
      return;
    }
    accepted.push({
      ...parsed.data,
      applies_to: ITEM_KINDS.filter((k) => parsed.data.applies_to.includes(k)),
    });
    compiled.push(compileLabel(parsed.data, context));
  });
  const totalProgram = compiled.reduce(
    (sum, label) => label.regex.reduce((n, r) => n + programSize(r.regex), sum),
    0,
  );
  if (totalProgram > MAX_TOTAL_PROGRAM) {
    issues.push({
      label: null,
      field: "labels",
      message: `the regexes are too large together (${totalProgram} RE2 instructions, at most ${MAX_TOTAL_PROGRAM})`,
    });
  }
  if (issues.length > 0) throw invalidTaxonomy(issues);
  const labels = compiled.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  context.vocabulary.seal();
  const fields = Object.fromEntries(FIELD_CLASSES.map((c) => [c, buildIndex(labels, c)]));
  return {
    version,
    labels,
    input: { labels: accepted },
    fields: fields as Record<FieldClass, FieldIndex>,
    vocabulary: context.vocabulary,
  };
}
