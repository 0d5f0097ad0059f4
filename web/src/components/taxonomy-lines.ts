import type { TaxonomyIssue } from "./taxonomy-types";

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The 1-based line of the editor's text where `label` is named (`name: x`, `"name": "x"`), if any. */
export function labelLine(lines: readonly string[], label: string): number | undefined {
  const pattern = new RegExp(
    `^\\s*(?:-\\s*)?(["']?)name\\1\\s*:\\s*(["']?)${escapeRegex(label)}\\2\\s*,?\\s*$`,
  );
  const index = lines.findIndex((line) => pattern.test(line));
  return index < 0 ? undefined : index + 1;
}

/**
 * Where an issue is in the text: its own line (a syntax error), else the line
 * of its field's key within its label's block (`rules.regex[0]` → `regex:`),
 * else the label's name line. Undefined when it cannot be found.
 */
export function issueLine(lines: readonly string[], issue: TaxonomyIssue): number | undefined {
  if (issue.line !== undefined) return issue.line;
  if (issue.label === null) return undefined;
  const start = labelLine(lines, issue.label);
  if (start === undefined) return undefined;
  const key = issue.field
    .split(".")
    .pop()
    ?.replace(/\[\d+\]$/, "");
  if (!key || key === "name") return start;
  const keyPattern = new RegExp(`^\\s*(["']?)${escapeRegex(key)}\\1\\s*:`);
  const next = /^\s*(?:-\s*)?(["']?)name\1\s*:/;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (next.test(line)) break;
    if (keyPattern.test(line)) return i + 1;
  }
  return start;
}
