import { describe, expect, it } from "vitest";
import { DEFAULT_FEATURES, emptySparse, FeatureSpace, Occurrences, type Trace } from "./features.js";
import { TextClassifier } from "./index.js";
import { toWords } from "./normalize.js";
import { stem } from "./stem.js";

describe("toWords", () => {
  it("normalizes case, width, apostrophes, contractions, spelling and digits", () => {
    const { words } = toWords(
      "I DON’T think the ｃａｒｄ wasn't cancelled; cant pay £250 on 12/03, it's my card's PIN",
    );
    expect(words).toEqual([
      "i",
      "do",
      "not",
      "think",
      "the",
      "card",
      "was",
      "not",
      "canceled",
      "can",
      "not",
      "pay",
      "£",
      "000",
      "on",
      "00",
      "00",
      "it",
      "my",
      "card",
      "pin",
    ]);
  });

  it("points every word back at the text it came from", () => {
    const text = "Why won't my top-up go through?";
    const w = toWords(text);
    expect(w.words).toEqual(["why", "will", "not", "my", "top", "up", "go", "through"]);
    const surface = w.source.map((t) => text.slice(w.start[t], w.end[t]));
    expect(surface).toEqual(["Why", "won't", "won't", "my", "top", "up", "go", "through"]);
  });

  it("treats words that are also JavaScript property names as words", () => {
    const { words } = toWords("constructor toString __proto__ hasOwnProperty valueOf");
    expect(words).toEqual(["constructor", "tostring", "proto", "hasownproperty", "valueof"]);
  });

  it("handles empty and symbol-only texts", () => {
    expect(toWords("").words).toEqual([]);
    expect(toWords(" ?!… ").words).toEqual([]);
  });
});

describe("stem", () => {
  it("merges inflections and nothing else", () => {
    expect(new Set(["charge", "charged", "charges", "charging"].map(stem)).size).toBe(1);
    expect(new Set(["top", "topped", "topping"].map(stem)).size).toBe(1);
    expect(stem("verified")).toBe(stem("verify"));
    expect(stem("payment")).not.toBe(stem("pay"));
    expect(stem("is")).toBe("is");
  });
});

describe("FeatureSpace", () => {
  const texts = [
    "my card has not arrived",
    "card arrived yesterday",
    "refund my payment",
    "refund please",
  ].map(toWords);

  it("keeps features seen in at least minDf texts, in three blocks", () => {
    const { space, matrix } = FeatureSpace.fit(texts, DEFAULT_FEATURES);
    expect(space.blockEnds).toHaveLength(3);
    expect(space.blockEnds[2]).toBe(space.size);
    expect(matrix.rows).toBe(4);
    expect(matrix.columns).toBe(space.size);
    const all = FeatureSpace.fit(texts, { ...DEFAULT_FEATURES, minDf: 1 }).space;
    expect(all.size).toBeGreaterThan(space.size);
  });

  it("encodes each block with unit norm times its weight, like fit does", () => {
    const config = { ...DEFAULT_FEATURES, minDf: 1, pairWeight: 0.5 };
    const { space, matrix } = FeatureSpace.fit(texts, config);
    const row = emptySparse();
    space.encodeWords(texts[0] ?? toWords(""), row);
    expect(Array.from(row.ids.subarray(0, row.size))).toEqual(
      Array.from(matrix.ids.subarray(0, matrix.start[1])),
    );
    const norms = [0, 0, 0];
    for (let k = 0; k < row.size; k++) {
      const id = row.ids[k] as number;
      const block = id < (space.blockEnds[0] as number) ? 0 : id < (space.blockEnds[1] as number) ? 1 : 2;
      norms[block] = (norms[block] as number) + (row.values[k] as number) ** 2;
    }
    expect(norms[0]).toBeCloseTo(1, 10);
    expect(norms[1]).toBeCloseTo(0.25, 10);
    expect(norms[2]).toBeCloseTo(1, 10);
  });

  it("traces features to the raw tokens they came from", () => {
    const { space } = FeatureSpace.fit(texts, { ...DEFAULT_FEATURES, minDf: 1 });
    const trace: Trace = { words: toWords(""), occurrences: new Occurrences() };
    space.encode("Card arrived!", emptySparse(), trace);
    const { occurrences } = trace;
    expect(occurrences.size).toBeGreaterThan(10);
    for (let k = 0; k < occurrences.size; k++) {
      expect([0, 1]).toContain(occurrences.source[k]);
      expect([-1, 0, 1]).toContain(occurrences.source2[k]);
    }
  });
});

describe("hostile label names and texts", () => {
  it("trains and reports labels that are JavaScript property names", () => {
    const labels = ["__proto__", "constructor", "toString"];
    const examples = labels.flatMap((label, i) =>
      Array.from({ length: 6 }, (_, k) => ({
        text: `${["alpha", "beta", "gamma"][i]} words ${k}`,
        labels: [label],
      })),
    );
    const model = TextClassifier.train(examples);
    expect(Object.keys(model.info.thresholds).sort()).toEqual([...labels].sort());
    expect(model.top("alpha")?.label).toBe("__proto__");
    expect(model.predict("constructor __proto__ toString").length).toBeLessThanOrEqual(1);
  });
});
