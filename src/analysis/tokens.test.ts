import { describe, expect, it } from "vitest";
import { tokenize } from "./tokens.js";

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
});
