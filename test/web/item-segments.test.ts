import { describe, expect, it } from "vitest";
import { segments } from "../../web/src/components/item-segments.js";

/** The Item page's evidence marking (web/src/components/item-segments.ts): pure, so tested here. */
describe("segments of a text marked by evidence spans", () => {
  it("leaves a text without spans whole", () => {
    expect(segments("hello", [])).toEqual([{ text: "hello", labels: [] }]);
    expect(segments("", [{ start: 0, end: 3, label: "a" }])).toEqual([]);
  });

  it("cuts overlapping and nested spans into pieces, each naming every label covering it", () => {
    const text = "I want a refund now";
    const result = segments(text, [
      { start: 2, end: 15, label: "b" },
      { start: 9, end: 19, label: "a" },
      { start: 9, end: 15, label: "c" },
    ]);
    expect(result).toEqual([
      { text: "I ", labels: [] },
      { text: "want a ", labels: ["b"] },
      { text: "refund", labels: ["a", "b", "c"] },
      { text: " now", labels: ["a"] },
    ]);
    expect(result.map((s) => s.text).join("")).toBe(text);
  });

  it("clips spans outside the text, drops empty and broken ones, and joins touching spans of one label", () => {
    const result = segments("abcdef", [
      { start: -5, end: 2, label: "a" },
      { start: 2, end: 4, label: "a" },
      { start: 5, end: 99, label: "b" },
      { start: 3, end: 3, label: "c" },
      { start: 4, end: 1, label: "d" },
      { start: Number.NaN, end: 2, label: "e" },
    ]);
    expect(result).toEqual([
      { text: "abcd", labels: ["a"] },
      { text: "e", labels: [] },
      { text: "f", labels: ["b"] },
    ]);
  });

  it("cuts a 100,000-character text into as many pieces as its spans need, not one per character", () => {
    const text = "x".repeat(100_000);
    const spans = Array.from({ length: 50 }, (_, i) => ({
      start: i * 1000,
      end: i * 1000 + 500,
      label: `l${i % 3}`,
    }));
    const started = performance.now();
    const result = segments(text, spans);
    // The pieces are the property (as many as the spans need); the time is only a guard against
    // a hang, generous for a loaded machine (it takes about a millisecond).
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result).toHaveLength(100);
    expect(result.map((s) => s.text).join("")).toBe(text);
  });
});
