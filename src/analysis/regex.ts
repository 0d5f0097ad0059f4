import { RE2JS, RE2Set } from "re2js";

/**
 * Taxonomy regexes run on RE2JS, a pure-JavaScript port of RE2: matching time
 * is linear in the text whatever the pattern, so a taxonomy cannot stall the
 * runners (a backtracking engine takes exponential time on `(a+)+$`). The
 * price is RE2 syntax: no backreferences, no lookaround; `\b` and `\w` are
 * ASCII-only. Every pattern is case-insensitive and Unicode-aware.
 */

const FLAGS = RE2JS.CASE_INSENSITIVE;
/**
 * How many empty matches a search for spans skips before it gives up. A
 * pattern can match the empty string somewhere without matching "" (think
 * `(?:.*a.{20}.*!)?\b`, empty at every word boundary), and each such match
 * can cost a pass over the rest of the text: the preferred, non-empty branch
 * runs to the end before the empty match wins. So spans cost at most
 * `max + MAX_EMPTY_FINDS` passes, not one per word boundary.
 */
const MAX_EMPTY_FINDS = 4;

/*
 * Linear time is time per character times the size of the program, which
 * counted repetitions inflate: `[a-z]{1,200}` is 400 RE2 instructions, where
 * everyday patterns are under 30. Text made to keep many states alive (random
 * a/b against `a[ab]{20}c`) costs up to ~15 ns per character and instruction:
 * at MAX_TOTAL_PROGRAM, 5.6 s for a 20 KB item, hence that bound. And a single
 * set of more than ~10,000 instructions outgrows its DFA's memory and thrashes
 * (50 × `[a-z]{1,220}x` on 20 KB of "a": 12.6 s in one set, 0.6 s in sets of
 * 10), hence sets of at most SET_PROGRAM instructions.
 */
const MAX_PROGRAM = 1000;
export const MAX_TOTAL_PROGRAM = 20_000;
const SET_PROGRAM = 4000;

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
 * Several patterns run in one pass over a text (one per SET_PROGRAM
 * instructions), which tells which of them match anywhere; only those are then
 * searched one by one for their spans.
 */
export class RegexSet {
  readonly size: number;
  /** Each set, and the index of its first pattern among all. */
  private readonly sets: { set: RE2Set; first: number }[] = [];

  constructor(regexes: Regex[]) {
    this.size = regexes.length;
    let program = Number.POSITIVE_INFINITY;
    regexes.forEach((regex, i) => {
      const size = programSize(regex);
      if (program + size > SET_PROGRAM) {
        this.sets.push({ set: new RE2Set(RE2Set.UNANCHORED, FLAGS), first: i });
        program = 0;
      }
      program += size;
      this.sets.at(-1)?.set.add(regex.pattern());
    });
    for (const { set } of this.sets) set.compile();
  }

  /** Indexes (in the order given to the constructor) of the patterns that match somewhere in `text`. */
  matching(text: string): number[] {
    if (text.length === 0) return [];
    if (this.sets.length === 1) return (this.sets[0] as (typeof this.sets)[number]).set.match(text);
    return this.sets.flatMap(({ set, first }) => set.match(text).map((i) => first + i));
  }
}

/**
 * The first non-empty matches of `regex` in `text`, at most `max`, as UTF-16
 * offsets; the search stops at the MAX_EMPTY_FINDS-th empty match.
 */
export function findSpans(regex: Regex, text: string, max: number): Span[] {
  const spans: Span[] = [];
  const matcher = regex.matcher(text);
  let empty = 0;
  while (spans.length < max && matcher.find()) {
    const start = matcher.start();
    const end = matcher.end();
    if (end > start) spans.push({ start, end });
    else if (++empty >= MAX_EMPTY_FINDS) break;
  }
  return spans;
}
