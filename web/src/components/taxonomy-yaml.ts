import type { TaxonomyLabel } from "./taxonomy-types";

/**
 * The taxonomy as YAML for the editor, without a YAML library in the bundle:
 * the shape is fixed (strings, numbers, lists of strings), every string is
 * written JSON-quoted (a valid YAML double-quoted scalar) and every list as a
 * flow sequence. Defaults are left out, as a person would write them; the
 * server fills them in again, so the text means the same taxonomy.
 */
const q = (s: string) => JSON.stringify(s);
const list = (items: readonly string[]) => `[${items.map(q).join(", ")}]`;
const BOTH = ["conversation", "note"];

function labelYaml(label: TaxonomyLabel): string[] {
  const lines = [`  - name: ${q(label.name)}`];
  if (label.description !== undefined) lines.push(`    description: ${q(label.description)}`);
  if (label.applies_to.length !== BOTH.length) lines.push(`    applies_to: ${list(label.applies_to)}`);
  const { scope, ...lists } = label.rules;
  const rules = Object.entries(lists)
    .filter(([, values]) => values.length > 0)
    .map(([key, values]) => `      ${key}: ${list(values)}`);
  if (scope !== "any") rules.push(`      scope: ${q(scope)}`);
  if (rules.length > 0) lines.push("    rules:", ...rules);
  if (label.examples !== undefined) lines.push(`    examples: ${list(label.examples)}`);
  if (label.detect.length !== 1 || label.detect[0] !== "rules")
    lines.push(`    detect: ${list(label.detect)}`);
  if (label.threshold !== undefined) lines.push(`    threshold: ${label.threshold}`);
  return lines;
}

export function taxonomyYaml(labels: readonly TaxonomyLabel[]): string {
  if (labels.length === 0) return "labels: []\n";
  return `${["labels:", ...labels.flatMap(labelYaml)].join("\n")}\n`;
}

export function taxonomyJson(labels: readonly TaxonomyLabel[]): string {
  return `${JSON.stringify({ labels }, null, 2)}\n`;
}
