import { type TaxonomyInput, taxonomyInput } from "../analysis/taxonomy.js";

/**
 * What changed between two taxonomy versions, label by label: labels added,
 * removed (a rename is both), and for each label in both, every field whose
 * value differs, before and after. Lists (keywords, regexes, applies_to,
 * detect, examples) are compared as sets: reordering them changes nothing
 * the analyzer or the training does, so it is not reported.
 */

type Label = TaxonomyInput["labels"][number];
export type FieldValue = string | number | string[] | null;

export interface FieldChange {
  /** The field's path in the label, e.g. `description`, `rules.keywords`. */
  field: string;
  before: FieldValue;
  after: FieldValue;
  /** For a list: the entries only `after` has, and those only `before` has. */
  added?: string[];
  removed?: string[];
}

export interface TaxonomyDiff {
  added: Label[];
  removed: Label[];
  changed: { name: string; changes: FieldChange[] }[];
  unchanged: number;
}

/** Every field a label has, in the order a person reads them, with how to read it. */
const FIELDS: [string, (label: Label) => FieldValue][] = [
  ["description", (l) => l.description ?? null],
  ["applies_to", (l) => l.applies_to],
  ["detect", (l) => l.detect],
  ["threshold", (l) => l.threshold ?? null],
  ["rules.keywords", (l) => l.rules.keywords],
  ["rules.all_keywords", (l) => l.rules.all_keywords],
  ["rules.none_keywords", (l) => l.rules.none_keywords],
  ["rules.regex", (l) => l.rules.regex],
  ["rules.scope", (l) => l.rules.scope],
  ["examples", (l) => l.examples ?? null],
];

const KNOWN = new Set(["name", "rules", ...FIELDS.map(([field]) => field)]);

/** A field added to the schema after this file: still compared (as its JSON text unless a string or number). */
function otherFields(label: Label): [string, (label: Label) => FieldValue][] {
  const paths = [
    ...Object.keys(label),
    ...Object.keys(label.rules ?? {}).map((key) => `rules.${key}`),
  ].filter((path) => !KNOWN.has(path));
  return paths.map((path) => [
    path,
    (l) => {
      const [head, tail] = path.split(".") as [string, string | undefined];
      const record = l as unknown as Record<string, Record<string, unknown> | undefined>;
      const value = tail === undefined ? record[head] : record[head]?.[tail];
      if (value === undefined) return null;
      return typeof value === "string" || typeof value === "number" ? value : JSON.stringify(value);
    },
  ]);
}

/**
 * A stored version with today's defaults filled in, so a field added since
 * (say `detect`) does not show as a change. A version today's schema would
 * refuse is compared as stored.
 */
function normalized(labels: readonly unknown[]): Label[] {
  const parsed = taxonomyInput.safeParse({ labels });
  return parsed.success ? parsed.data.labels : (labels as Label[]);
}

function fieldChange(field: string, before: FieldValue, after: FieldValue): FieldChange | undefined {
  if (Array.isArray(before) || Array.isArray(after)) {
    const b = new Set(Array.isArray(before) ? before : []);
    const a = new Set(Array.isArray(after) ? after : []);
    const added = [...a].filter((x) => !b.has(x));
    const removed = [...b].filter((x) => !a.has(x));
    // null → [] (no examples given, then an empty list) is no change either.
    if (added.length === 0 && removed.length === 0) return undefined;
    return { field, before, after, added, removed };
  }
  return before === after ? undefined : { field, before, after };
}

export function diffTaxonomies(from: readonly unknown[], to: readonly unknown[]): TaxonomyDiff {
  const before = new Map(normalized(from).map((l) => [l.name, l]));
  const after = new Map(normalized(to).map((l) => [l.name, l]));
  const byName = (a: Label, b: Label) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const diff: TaxonomyDiff = {
    added: [...after.values()].filter((l) => !before.has(l.name)).sort(byName),
    removed: [...before.values()].filter((l) => !after.has(l.name)).sort(byName),
    changed: [],
    unchanged: 0,
  };
  for (const name of [...after.keys()].sort()) {
    const old = before.get(name);
    const now = after.get(name) as Label;
    if (old === undefined) continue;
    const others = new Map([...otherFields(old), ...otherFields(now)]);
    const changes = [...FIELDS, ...others].flatMap(
      ([field, read]) => fieldChange(field, read(old), read(now)) ?? [],
    );
    if (changes.length > 0) diff.changed.push({ name, changes });
    else diff.unchanged++;
  }
  return diff;
}
