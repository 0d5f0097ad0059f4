import { describe, expect, it } from "vitest";
import { type AnalyzableItem, analyze, type Evidence, type LabelAssignment } from "./rules.js";
import { compileTaxonomy } from "./taxonomy.js";

type Rules = Record<string, unknown>;

/** Only a hang fails it: what separates linear from exponential time, on any machine. */
const HANG_MS = 15_000;

function taxonomy(...labels: Record<string, unknown>[]) {
  return compileTaxonomy({ labels }, 1);
}

const note = (text: string): AnalyzableItem => ({ kind: "note", text });
const conversation = (subject: string, ...messages: [string, string][]): AnalyzableItem => ({
  kind: "conversation",
  subject,
  messages: messages.map(([role, text]) => ({ role: role as "customer" | "agent" | "system", text })),
});

/** The names of the labels a single-label taxonomy with these rules gives the item. */
function names(item: AnalyzableItem, rules: Rules, extra: Record<string, unknown> = {}): string[] {
  return analyze(item, taxonomy({ name: "l", rules, ...extra })).map((a) => a.name);
}
const matches = (text: string, rules: Rules) => names(note(text), rules).length === 1;

/** The text an evidence points at, from the item it was found in. */
function pointedAt(item: AnalyzableItem, e: Evidence): string {
  const text =
    item.kind === "note"
      ? item.text
      : e.field === "subject"
        ? item.subject
        : (item.messages[e.message_index as number]?.text as string);
  return text.slice(e.start, e.end);
}

function only(assignments: LabelAssignment[]): LabelAssignment {
  expect(assignments).toHaveLength(1);
  return assignments[0] as LabelAssignment;
}

describe("keywords", () => {
  it("match whole tokens only, whatever the case and punctuation around them", () => {
    const rules = { keywords: ["refund"] };
    expect(matches("I want a refund", rules)).toBe(true);
    expect(matches("Refund!", rules)).toBe(true);
    expect(matches("about the refund.", rules)).toBe(true);
    expect(matches("(REFUND)", rules)).toBe(true);
    expect(matches("refunding", rules)).toBe(false);
    expect(matches("refunds", rules)).toBe(false);
    expect(matches("nonrefund", rules)).toBe(false);
    expect(matches("re-fund", rules)).toBe(false);
    expect(matches("refund_id", rules)).toBe(true);
    expect(matches("refund2", rules)).toBe(false);
  });

  it("need any one of the list", () => {
    const rules = { keywords: ["refund", "chargeback"] };
    expect(matches("a chargeback was filed", rules)).toBe(true);
    expect(matches("nothing to see", rules)).toBe(false);
  });

  it("match phrases over consecutive tokens, whatever separates them", () => {
    const rules = { keywords: ["money back"] };
    for (const text of [
      "money back",
      "Money  back",
      "money-back",
      "money\nback",
      "money, back",
      "money…back",
    ]) {
      expect(matches(text, rules), text).toBe(true);
    }
    expect(matches("money was sent back", rules)).toBe(false);
    expect(matches("back money", rules)).toBe(false);
    expect(matches("moneyback", rules)).toBe(false);
    expect(matches("money", rules)).toBe(false);
    // A hyphenated keyword is the same phrase.
    expect(matches("money back", { keywords: ["money-back"] })).toBe(true);
  });

  it("keep apostrophes inside a word, typographic or not", () => {
    expect(matches("I don’t know", { keywords: ["don't"] })).toBe(true);
    expect(matches("I don't know", { keywords: ["don’t"] })).toBe(true);
    expect(matches("I don't know", { keywords: ["don"] })).toBe(false);
    expect(matches("the customer's card", { keywords: ["customer"] })).toBe(false);
  });

  it("are unicode-aware, compared after NFKC and lowercasing", () => {
    expect(matches("Bitte um RÜCKERSTATTUNG.", { keywords: ["Rückerstattung"] })).toBe(true);
    expect(matches("Rückerstattungen", { keywords: ["rückerstattung"] })).toBe(false);
    // Full-width letters and ligatures are their NFKC equivalents; composed and decomposed é are one.
    expect(matches("ＲＥＦＵＮＤ please", { keywords: ["refund"] })).toBe(true);
    expect(matches("the ﬁle is broken", { keywords: ["file"] })).toBe(true);
    expect(matches("un cafe\u0301 noir", { keywords: ["café"] })).toBe(true);
    // Diacritics are kept: café is not cafe.
    expect(matches("un café noir", { keywords: ["cafe"] })).toBe(false);
    expect(matches("ΕΠΙΣΤΡΟΦΗ χρημάτων", { keywords: ["επιστροφη"] })).toBe(true);
    expect(matches("ΕΠΙΣΤΡΟΦΗ ΧΡΗΜΑΤΩΝ", { keywords: ["επιστροφη χρηματων"] })).toBe(true);
    expect(matches("ΠΟΣΟΣ", { keywords: ["ποσος"] })).toBe(true);
  });

  it("match CJK only as a whole run of letters: regex is the tool for CJK", () => {
    expect(matches("返金", { keywords: ["返金"] })).toBe(true);
    expect(matches("返金 お願いします", { keywords: ["返金"] })).toBe(true);
    expect(matches("返金してください", { keywords: ["返金"] })).toBe(false);
    expect(matches("返金してください", { regex: ["返金"] })).toBe(true);
  });
});

describe("regex", () => {
  it("is case-insensitive and unicode-aware", () => {
    expect(matches("I was CHARGED   twice", { regex: ["charged\\s+twice"] })).toBe(true);
    expect(matches("RÜCKERSTATTUNG", { regex: ["rückerstattung"] })).toBe(true);
    expect(matches("Ticket #12345", { regex: ["#\\d{5}\\b"] })).toBe(true);
    expect(matches("Ticket #1234", { regex: ["#\\d{5}\\b"] })).toBe(false);
    expect(matches("😀 café", { regex: ["\\p{So} caf\\p{L}"] })).toBe(true);
  });

  it("anchors ^ and $ to the field, and (?m) to its lines", () => {
    const item = conversation("hello", ["customer", "thanks\nrefund please"]);
    expect(names(item, { regex: ["^refund"] })).toEqual([]);
    expect(names(item, { regex: ["(?m)^refund"] })).toEqual(["l"]);
    expect(names(item, { regex: ["^hello$"] })).toEqual(["l"]);
  });

  it("does not stall on a catastrophic-backtracking pattern", () => {
    const compiled = taxonomy(
      { name: "evil", rules: { regex: ["(a+)+$", "(x+x+)+y", "(a|aa)+c"] } },
      { name: "matching", rules: { regex: ["(.*a){12}"] } },
    );
    const text = `${"a".repeat(50_000)}b`;
    const started = performance.now();
    expect(analyze(note(text), compiled).map((a) => a.name)).toEqual(["matching"]);
    expect(analyze(conversation(text, ["customer", text]), compiled).map((a) => a.name)).toEqual([
      "matching",
    ]);
    // RE2 scans each text once; a backtracking engine would need about 2^50,000 steps. Any bound
    // tells the two apart, so it is generous for a loaded machine: speed is bench/analyzer's.
    expect(performance.now() - started).toBeLessThan(HANG_MS);
  });
});

describe("all_keywords and none_keywords", () => {
  it("all_keywords alone apply the label when every one appears, anywhere in scope", () => {
    const rules = { all_keywords: ["invoice", "wrong address"] };
    expect(names(conversation("Invoice", ["customer", "it has the wrong address"]), rules)).toEqual(["l"]);
    expect(names(conversation("Invoice", ["customer", "it is wrong"]), rules)).toEqual([]);
  });

  it("all_keywords with keywords need both: one keyword and every all_keyword", () => {
    const rules = { keywords: ["refund"], all_keywords: ["order"] };
    expect(matches("refund my order", rules)).toBe(true);
    expect(matches("refund me", rules)).toBe(false);
    expect(matches("where is my order", rules)).toBe(false);
  });

  it("none_keywords exclude the label, wherever in scope they appear", () => {
    const rules = { keywords: ["refund"], none_keywords: ["test ticket"] };
    expect(matches("refund", rules)).toBe(true);
    expect(matches("refund - TEST ticket", rules)).toBe(false);
    expect(names(conversation("refund", ["agent", "test ticket"]), rules)).toEqual([]);
    expect(names(conversation("refund", ["agent", "test ticket"]), { ...rules, scope: "subject" })).toEqual([
      "l",
    ]);
    expect(matches("refund", { regex: ["refund"], none_keywords: ["refund"] })).toBe(false);
  });

  it("none_keywords alone never apply a label; nor does a label without rules", () => {
    expect(matches("anything", { none_keywords: ["spam"] })).toBe(false);
    expect(analyze(note("anything"), taxonomy({ name: "manual" }))).toEqual([]);
  });
});

describe("scope and applies_to", () => {
  const item = conversation(
    "subject words",
    ["customer", "customer words"],
    ["agent", "agent words"],
    ["system", "system words"],
  );

  it.each([
    ["any", ["subject", "customer", "agent", "system"]],
    ["subject", ["subject"]],
    ["customer", ["customer"]],
    ["agent", ["agent"]],
  ])("scope %s reads %j", (scope, read) => {
    for (const word of ["subject", "customer", "agent", "system"]) {
      expect(names(item, { keywords: [word], scope }), word).toEqual(read.includes(word) ? ["l"] : []);
      expect(names(item, { regex: [`${word} w`], scope }), word).toEqual(read.includes(word) ? ["l"] : []);
    }
  });

  it("a note is its text, whatever the scope", () => {
    for (const scope of ["any", "subject", "customer", "agent"]) {
      expect(names(note("a refund"), { keywords: ["refund"], scope })).toEqual(["l"]);
    }
  });

  it("applies_to keeps a label off the other kind", () => {
    const rules = { keywords: ["refund"] };
    expect(names(note("refund"), rules, { applies_to: ["conversation"] })).toEqual([]);
    expect(names(note("refund"), rules, { applies_to: ["note"] })).toEqual(["l"]);
    expect(names(conversation("refund"), rules, { applies_to: ["note"] })).toEqual([]);
    expect(names(conversation("refund"), rules, { applies_to: ["conversation"] })).toEqual(["l"]);
  });
});

describe("assignments", () => {
  it("point evidence at the original text, across normalization and surrogate pairs", () => {
    const item = conversation(
      "😀 ＲＥＦＵＮＤ",
      ["customer", "Hi 👋🏽 — I was charged twice. Money-back please, cafe\u0301 owner"],
      ["agent", "We'll issue the refund"],
    );
    const compiled = taxonomy({
      name: "billing/refund",
      rules: { keywords: ["refund", "money back", "café"], regex: ["charged\\s+twice"] },
    });
    const { evidence } = only(analyze(item, compiled));
    expect(evidence.map((e) => [e.rule, e.field, e.message_index, pointedAt(item, e), e.excerpt])).toEqual([
      ["keyword", "subject", undefined, "ＲＥＦＵＮＤ", "ＲＥＦＵＮＤ"],
      ["regex", "message", 0, "charged twice", "charged twice"],
      ["keyword", "message", 0, "Money-back", "Money-back"],
      ["keyword", "message", 0, "cafe\u0301", "cafe\u0301"],
      ["keyword", "message", 1, "refund", "refund"],
    ]);
    expect(evidence[1]?.pattern).toBe("charged\\s+twice");
    expect(evidence[2]?.pattern).toBe("money back");
  });

  it("keep the first five matches in item order, then the all_keywords", () => {
    const item = conversation(
      "refund",
      ["customer", "refund refund order refund"],
      ["agent", "refund refund"],
    );
    const compiled = taxonomy({
      name: "l",
      rules: { keywords: ["refund"], regex: ["ref.nd"], all_keywords: ["order"] },
    });
    const { evidence } = only(analyze(item, compiled));
    expect(evidence.map((e) => [e.rule, e.message_index, e.start])).toEqual([
      ["keyword", undefined, 0],
      ["regex", undefined, 0],
      ["keyword", 0, 0],
      ["regex", 0, 0],
      ["keyword", 0, 7],
      ["all_keywords", 0, 14],
    ]);
  });

  it("cut long excerpts, but not the offsets", () => {
    const text = `x${"é".repeat(200)}y`;
    const { evidence } = only(analyze(note(text), taxonomy({ name: "l", rules: { regex: ["x.+y"] } })));
    expect(evidence[0]).toMatchObject({ start: 0, end: 202, excerpt: `x${"é".repeat(79)}…` });
  });

  it("have confidence 1 for a keyword or regex match, 0.8 for all_keywords alone", () => {
    const compiled = taxonomy(
      { name: "a", rules: { keywords: ["refund"] } },
      { name: "b", rules: { regex: ["refund"] } },
      { name: "c", rules: { all_keywords: ["refund"] } },
    );
    expect(analyze(note("refund"), compiled).map((a) => [a.name, a.confidence])).toEqual([
      ["a", 1],
      ["b", 1],
      ["c", 0.8],
    ]);
  });

  it("are sorted by label name, whatever the taxonomy's order", () => {
    const compiled = taxonomy(
      { name: "z", rules: { keywords: ["x"] } },
      { name: "a/b", rules: { keywords: ["x"] } },
      { name: "a", rules: { regex: ["x"] } },
      { name: "m", rules: { keywords: ["y"] } },
    );
    expect(analyze(note("x"), compiled).map((a) => a.name)).toEqual(["a", "a/b", "z"]);
  });

  it("are none with an empty taxonomy, or for empty text", () => {
    expect(analyze(note("refund"), compileTaxonomy({ labels: [] }, 1))).toEqual([]);
    expect(
      analyze(conversation(""), taxonomy({ name: "l", rules: { keywords: ["x"], regex: ["x"] } })),
    ).toEqual([]);
    expect(analyze(note(""), taxonomy({ name: "l", rules: { keywords: ["x"] } }))).toEqual([]);
  });

  it("are deterministic and leave the item alone", () => {
    const item = conversation("refund", ["customer", "money back"]);
    const copy = structuredClone(item);
    const compiled = taxonomy({ name: "l", rules: { keywords: ["refund", "money back"] } });
    expect(analyze(item, compiled)).toEqual(analyze(copy, compiled));
    expect(item).toEqual(copy);
  });
});
