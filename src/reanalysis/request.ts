import { AppError } from "../errors.js";
import { parseTimestamp } from "../time.js";
import type { JobRequest } from "./jobs.js";

export const DEFAULT_RANGE_MS = 30 * 86_400_000;
const KNOWN = ["from", "until", "type", "dry_run"] as const;
/** The runbook's plural spelling, `both` (the default, as a job reports it), and the singular as an alias. */
const TYPES = {
  conversations: "conversations",
  notes: "notes",
  both: "both",
  conversation: "conversations",
  note: "notes",
} as const;

function invalid(parameter: string, message: string): AppError {
  return new AppError("validation_failed", `${parameter}: ${message}`, { parameter });
}

function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw invalid(name, `given ${value.length} times; give it once`);
  return value === undefined ? undefined : String(value);
}

/**
 * The runbook's query: `from` (default 30 days ago), `until` (default now),
 * `type` (conversations, notes or both, the default; the singular is an alias), plus `dry_run`. Each
 * problem is a 400 that names the parameter: a typo such as `form=` must not
 * silently reanalyze the default range.
 */
export function parseJobRequest(query: Record<string, unknown>, now = Date.now()): JobRequest {
  for (const name of Object.keys(query)) {
    if (!(KNOWN as readonly string[]).includes(name)) {
      throw invalid(name, `unknown parameter; the known ones are ${KNOWN.join(", ")}`);
    }
  }
  const fromText = single(query, "from");
  const untilText = single(query, "until");
  const typeText = single(query, "type");
  const dryRunText = single(query, "dry_run");
  const from =
    fromText === undefined || fromText === "" ? now - DEFAULT_RANGE_MS : parseTimestamp(fromText, "from");
  const until =
    untilText === undefined || untilText === ""
      ? now
      : parseTimestamp(untilText, "until", { endOfDay: true });
  if (from > until)
    throw invalid(
      "from",
      `${new Date(from).toISOString()} is after until (${new Date(until).toISOString()})`,
    );
  let type: JobRequest["type"] = "both";
  if (typeText !== undefined && typeText !== "") {
    const known = Object.hasOwn(TYPES, typeText) ? TYPES[typeText as keyof typeof TYPES] : undefined;
    if (!known)
      throw invalid("type", `'${typeText}' is not a type; use conversations, notes or both (the default)`);
    type = known;
  }
  if (dryRunText !== undefined && !["true", "false", "1", "0", ""].includes(dryRunText)) {
    throw invalid("dry_run", `'${dryRunText}' is not true or false`);
  }
  return { type, from, until, dryRun: dryRunText === "true" || dryRunText === "1" };
}
