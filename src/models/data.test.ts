import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AppError } from "../errors.js";
import { parseCsvExamples, parseJsonExamples, readExamples, toLabelName } from "./data.js";

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.code : `not an AppError: ${err}`;
  }
  return "no error";
};

describe("CSV examples (RFC 4180)", () => {
  it("reads quoted fields: commas, doubled quotes and line breaks inside quotes", () => {
    const csv =
      'text,category\r\n"I was charged twice, please refund",refund\r\n"He said ""hi"" to me",greet\r\n"two\nlines",card_arrival\r\nplain text,card_arrival\r\n';
    expect(parseCsvExamples(csv)).toEqual([
      { text: "I was charged twice, please refund", labels: ["refund"] },
      { text: 'He said "hi" to me', labels: ["greet"] },
      { text: "two\nlines", labels: ["card_arrival"] },
      { text: "plain text", labels: ["card_arrival"] },
    ]);
  });

  it("takes `label`, `category` or `intent`, any case, in any column order, with a BOM", () => {
    for (const column of ["label", "Category", "INTENT"]) {
      expect(parseCsvExamples(`\uFEFF${column},text\nrefund,money back please\n`)).toEqual([
        { text: "money back please", labels: ["refund"] },
      ]);
    }
  });

  it("turns labels into taxonomy label names", () => {
    expect(
      parseCsvExamples("text,category\nwhere is it,Refund_not_showing_up\nhm,reverted_card_payment?\n"),
    ).toEqual([
      { text: "where is it", labels: ["refund_not_showing_up"] },
      { text: "hm", labels: ["reverted_card_payment"] },
    ]);
  });

  it("says what is wrong with a bad file", () => {
    expect(codeOf(() => parseCsvExamples("body,label\nx,y\n"))).toBe("invalid_training_data");
    expect(() => parseCsvExamples("body,label\nx,y\n")).toThrow(
      /'text' column and one of 'label', 'category', 'intent'/,
    );
    expect(() => parseCsvExamples('text,label\n"unclosed,y\n')).toThrow(/not valid CSV/);
    expect(() => parseCsvExamples("text,label\n   ,y\n")).toThrow(/row 2: 'text' is empty/);
  });
});

describe("JSON examples", () => {
  it("reads labels, or intents as in NLU++, and rows with none", () => {
    const json = JSON.stringify([
      { text: "lost my card", labels: ["card", "lost_stolen"] },
      { text: "hello there", intents: ["greet"], slots: {} },
      { text: "just words", intents: [] },
      { text: "no field at all" },
    ]);
    expect(parseJsonExamples(json)).toEqual([
      { text: "lost my card", labels: ["card", "lost_stolen"] },
      { text: "hello there", labels: ["greet"] },
      { text: "just words", labels: [] },
      { text: "no field at all", labels: [] },
    ]);
  });

  it("refuses what is not a list of {text, labels}", () => {
    for (const bad of [
      "{}",
      "[1]",
      '[{"labels":["a"]}]',
      '[{"text":"x","labels":"a"}]',
      '[{"text":"x","labels":[""]}]',
      "[oops",
    ]) {
      expect(
        codeOf(() => parseJsonExamples(bad)),
        bad,
      ).toBe("invalid_training_data");
    }
  });
});

describe("readExamples", () => {
  it("picks the format from the extension and names the file in errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "relabel-data-"));
    writeFileSync(join(dir, "a.csv"), "text,intent\nhi,greet\n");
    writeFileSync(join(dir, "b.json"), '[{"text":"hi","intents":["greet"]}]');
    writeFileSync(join(dir, "c.txt"), "hi");
    expect(readExamples(join(dir, "a.csv"))).toEqual([{ text: "hi", labels: ["greet"] }]);
    expect(readExamples(join(dir, "b.json"))).toEqual([{ text: "hi", labels: ["greet"] }]);
    expect(() => readExamples(join(dir, "c.txt"))).toThrow(/c\.txt: use a \.csv/);
    expect(() => readExamples(join(dir, "missing.csv"))).toThrow(/missing\.csv: cannot read it \(ENOENT\)/);
  });

  it("reads the banking77 sample with its quoted rows", () => {
    const examples = readExamples(
      new URL("../../test/fixtures/banking77-train.csv", import.meta.url).pathname,
    );
    expect(examples).toHaveLength(240);
    expect(new Set(examples.flatMap((e) => e.labels)).size).toBe(8);
    expect(examples.some((e) => e.text.includes(","))).toBe(true);
  });
});

describe("toLabelName", () => {
  it.each([
    ["Refund_not_showing_up", "refund_not_showing_up"],
    ["reverted_card_payment?", "reverted_card_payment"],
    ["  Card Arrival ", "card_arrival"],
    ["billing//refund", "billing/refund"],
    ["/x/", "x"],
  ])("%s → %s", (raw, name) => {
    expect(toLabelName(raw)).toBe(name);
  });
});
