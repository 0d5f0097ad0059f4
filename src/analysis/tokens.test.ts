import { describe, expect, it } from "vitest";
import { normalizeToken, tokenize } from "./tokens.js";
import { Vocabulary } from "./vocabulary.js";

/** A seeded PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

const ALPHABET = [
  "a",
  "B",
  "z",
  "0",
  "9",
  "'",
  "\u2019",
  " ",
  "-",
  ".",
  "é",
  "e\u0301",
  "Ü",
  "ß",
  "Σ",
  "返",
  "金",
  "😀",
  "𝐀",
  "\ud800",
  "ﬁ",
  "Ｒ",
  "\n",
];

function randomText(random: () => number, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return text;
}

function spans(text: string): [string, string][] {
  const { norm, start, end } = tokenize(text);
  return norm.map((token, i) => [token, text.slice(start[i], end[i])]);
}

describe("tokenize", () => {
  it("splits ASCII text on anything but letters, digits and inner apostrophes", () => {
    expect(spans("Hi! I'm owed $12.50 (order #A-17), don't 'quote' me")).toEqual([
      ["hi", "Hi"],
      ["i'm", "I'm"],
      ["owed", "owed"],
      ["12", "12"],
      ["50", "50"],
      ["order", "order"],
      ["a", "A"],
      ["17", "17"],
      ["don't", "don't"],
      ["quote", "quote"],
      ["me", "me"],
    ]);
  });

  it("normalizes unicode tokens but keeps offsets into the original", () => {
    expect(spans("😀 ＲＥＦＵＮＤ — I’m Ærø's ﬁle, cafe\u0301, ΟΔΟΣ 返金してください")).toEqual([
      ["refund", "ＲＥＦＵＮＤ"],
      ["i'm", "I’m"],
      ["ærø's", "Ærø's"],
      ["file", "ﬁle"],
      ["café", "cafe\u0301"],
      ["οδοσ", "ΟΔΟΣ"],
      ["返金してください", "返金してください"],
    ]);
  });

  it("finds nothing in text without letters or digits", () => {
    expect(tokenize("").norm).toEqual([]);
    expect(tokenize(" -- !? 😀 ").norm).toEqual([]);
  });

  it("cuts exactly as the reference pattern, on random text", () => {
    const reference = /[\p{L}\p{N}\p{M}]+(?:['\u2019][\p{L}\p{N}\p{M}]+)*/gu;
    const random = prng(11);
    for (let k = 0; k < 3000; k++) {
      const text = randomText(random, Math.floor(random() * 16));
      const expected = [...text.matchAll(reference)].map((m) => [normalizeToken(m[0]), m[0]]);
      expect(spans(text), JSON.stringify(text)).toEqual(expected);
    }
  });
});

describe("Vocabulary", () => {
  it("finds the tokens it has, ASCII or not, as the slow way does", () => {
    const vocabulary = new Vocabulary();
    const words = ["ab", "b0", "0'9", "z", "é", "ü", "σ", "file", "r", "ab'z", "返金"];
    for (const word of words) vocabulary.add(word);
    vocabulary.seal();
    const random = prng(5);
    for (let k = 0; k < 3000; k++) {
      const text = randomText(random, Math.floor(random() * 16));
      const all = tokenize(text);
      const expected: number[] = [];
      all.norm.forEach((token, rank) => {
        const id = words.indexOf(token);
        if (id >= 0) expected.push(id, rank, all.start[rank] as number, all.end[rank] as number);
      });
      expect(vocabulary.known(text).at, JSON.stringify(text)).toEqual(expected);
    }
  });
});
