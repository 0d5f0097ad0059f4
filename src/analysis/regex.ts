import { RE2JS, RE2Set } from "re2js";

/**
 * Taxonomy regexes run on RE2JS, a pure-JavaScript port of RE2: matching time
 * is linear in the text whatever the pattern, so a taxonomy cannot stall the
 * runners (a backtracking engine takes exponential time on `(a+)+$`). The
 * price is RE2 syntax: no backreferences, no lookaround; `\b` and `\w` are
 * ASCII-only. Every pattern is case-insensitive and Unicode-aware.
 */

const FLAGS = RE2JS.CASE_INSENSITIVE;
/** Per set of patterns; past it RE2 falls back from its DFA to its (slower, still linear) NFA. */
const SET_MAX_MEMORY = 8 * 1024 * 1024;
/** Bounds the work of one pattern on one text when it also matches the empty string somewhere. */
const MAX_FINDS = 64;
/**
 * Linear time is time per character times the program's size, which counted
 * repetitions inflate (`[a-z]{1,200}` is 400 instructions): 50 such patterns
 * take half a second on 20 KB of "aaa…". Everyday patterns are under 30.
 */
const MAX_PROGRAM = 1000;
export const MAX_TOTAL_PROGRAM = 50_000;

export type Regex = RE2JS;

/** The size of a compiled pattern, in RE2 instructions: what its matching time grows with. */
export function programSize(regex: Regex): number {
  return regex.matcher("").programSize();
}

export interface Span {
  start: number;
  end: number;
}

/** Compiles a taxonomy pattern, or says in words why it cannot be used. */
export function compileRegex(source: string): Regex | { problem: string } {
  let regex: Regex;
  try {
    regex = RE2JS.compile(source, FLAGS);
  } catch (err) {
    // RE2JS messages read "error parsing regexp: missing closing ): `(a+`".
    const reason = err instanceof Error ? err.message.replace(/^error parsing regexp: /, "") : String(err);
    return { problem: `does not compile: ${reason}` };
  }
  // Such a pattern (`a*`, `refund|`) would label every item: certainly a mistake.
  if (regex.test("")) return { problem: "matches the empty string, so it would match every item" };
  const size = programSize(regex);
  if (size > MAX_PROGRAM) {
    return {
      problem: `is too large (${size} RE2 instructions, at most ${MAX_PROGRAM}): use smaller repetition counts`,
    };
  }
  return regex;
}

/**
 * Several patterns run in one pass over a text, which tells which of them
 * match anywhere; only those are then searched one by one for their spans.
 */
export class RegexSet {
  readonly size: number;
  private readonly set: RE2Set;

  constructor(sources: string[]) {
    this.size = sources.length;
    this.set = new RE2Set(RE2Set.UNANCHORED, FLAGS, SET_MAX_MEMORY);
    for (const source of sources) this.set.add(source);
    if (this.size > 0) this.set.compile();
  }

  /** Indexes (in the order given to the constructor) of the patterns that match somewhere in `text`. */
  matching(text: string): number[] {
    return this.size === 0 || text.length === 0 ? [] : this.set.match(text);
  }
}

/** The first non-empty matches of `regex` in `text`, at most `max`, as UTF-16 offsets. */
export function findSpans(regex: Regex, text: string, max: number): Span[] {
  const spans: Span[] = [];
  const matcher = regex.matcher(text);
  for (let finds = 0; spans.length < max && finds < MAX_FINDS && matcher.find(); finds++) {
    const start = matcher.start();
    const end = matcher.end();
    if (end > start) spans.push({ start, end });
  }
  return spans;
}
