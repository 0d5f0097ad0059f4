import { describe, expect, it } from "vitest";
import { compileRegex, findSpans, type Regex, RegexSet } from "./regex.js";

/** Only a hang fails it: what separates linear from exponential time, on any machine. */
const HANG_MS = 15_000;

function regex(source: string): Regex {
  const compiled = compileRegex(source);
  if ("problem" in compiled) throw new Error(compiled.problem);
  return compiled;
}

describe("regex engine", () => {
  it("says why a pattern is refused", () => {
    expect(compileRegex("(a+")).toEqual({
      problem: expect.stringMatching(/^does not compile: missing closing \)/),
    });
    expect(compileRegex("x?")).toEqual({ problem: expect.stringContaining("empty string") });
  });

  it("finds non-empty spans as UTF-16 offsets, at most as many as asked", () => {
    const text = "😀 Refund, REFUND, refund and refund";
    const spans = findSpans(regex("refund"), text, 3);
    expect(spans.map((s) => text.slice(s.start, s.end))).toEqual(["Refund", "REFUND", "refund"]);
    expect(spans[0]).toEqual({ start: 3, end: 9 });
    expect(findSpans(regex("\\bx|\\b"), "ab x", 5).map((s) => s.start)).toEqual([3]);
  });

  it("runs a catastrophic pattern in linear time", () => {
    const text = `${"a".repeat(50_000)}b`;
    const started = performance.now();
    expect(findSpans(regex("(a+)+$"), text, 5)).toEqual([]);
    expect(new RegexSet(["(a+)+$", "(x+x+)+y"].map(regex)).matching(text)).toEqual([]);
    // RE2 scans the text once; a backtracking engine would need about 2^50,000 steps. Any bound
    // tells the two apart, so it is generous for a loaded machine: speed is bench/analyzer's.
    expect(performance.now() - started).toBeLessThan(HANG_MS);
  });

  it("a set says which patterns match, as each would alone", () => {
    const sources = [
      "ab",
      "abc",
      "c$",
      "^x",
      "a.c",
      "\\bbc",
      "x(a|b)+c",
      "(?m)^y",
      "é",
      "\\p{Lu}",
      "refund(?:ed)?",
    ];
    const alone = sources.map(regex);
    const set = new RegexSet(alone);
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const alphabet = "abcxyÉé \n1REFUNDed";
    for (let k = 0; k < 2000; k++) {
      let text = "";
      for (let i = Math.floor(random() * 12); i > 0; i--)
        text += alphabet[Math.floor(random() * alphabet.length)];
      const expected = alone.flatMap((r, i) => (r.test(text) ? [i] : []));
      expect(set.matching(text), JSON.stringify(text)).toEqual(expected);
    }
  });

  it("splits large sets, and still numbers patterns as given", () => {
    const alone = Array.from({ length: 30 }, (_, i) => regex(`[a-z]{1,150}${i}`));
    const set = new RegexSet(alone);
    for (const text of ["abc7 xyz21", "q29", "", "no digits"]) {
      expect(set.matching(text)).toEqual(alone.flatMap((r, i) => (r.test(text) ? [i] : [])));
    }
    expect(set.matching("abc7 xyz21")).toEqual([2, 7, 21]);
  });
});
