import { describe, expect, it } from "vitest";
import { AppError } from "../errors.js";
import { compileTaxonomy, type TaxonomyIssue, taxonomyInput } from "./taxonomy.js";

/** The AppError a taxonomy is refused with. */
function refusal(input: unknown): AppError {
  try {
    compileTaxonomy(input, 1);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("the taxonomy was accepted");
}

function issuesOf(input: unknown): TaxonomyIssue[] {
  return (refusal(input).details as { issues: TaxonomyIssue[] }).issues;
}

const one = (label: Record<string, unknown>) => ({ labels: [label] });

describe("compileTaxonomy", () => {
  it("accepts an empty taxonomy", () => {
    const compiled = compileTaxonomy({ labels: [] }, 3);
    expect(compiled.version).toBe(3);
    expect(compiled.labels).toEqual([]);
    expect(compiled.input).toEqual({ labels: [] });
  });

  it("compiles who detects a label: rules by default, the model, or both, with a threshold", () => {
    const compiled = compileTaxonomy(
      {
        labels: [
          { name: "a", rules: { keywords: ["x"] } },
          { name: "b", detect: ["model"], rules: { keywords: ["x"] }, threshold: 0.7 },
          { name: "c", detect: ["rules", "model"], rules: { keywords: ["x"] } },
        ],
      },
      1,
    );
    const byName = Object.fromEntries(compiled.labels.map((l) => [l.name, l]));
    expect([byName.a?.positive, byName.a?.model]).toEqual([true, undefined]);
    // Detected by the model only: its rules never apply it.
    expect([byName.b?.positive, byName.b?.model]).toEqual([false, { threshold: 0.7 }]);
    expect([byName.c?.positive, byName.c?.model]).toEqual([true, { threshold: undefined }]);
    for (const bad of [{ detect: [] }, { detect: ["llm"] }, { threshold: 1.5 }, { threshold: "high" }]) {
      expect(() => compileTaxonomy({ labels: [{ name: "x", ...bad }] }, 1), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: "invalid_taxonomy" }),
      );
    }
  });

  it("fills in defaults in the normalized input, keeping examples and description", () => {
    const compiled = compileTaxonomy(
      {
        labels: [
          { name: "billing/refund", description: "Money back", examples: ["I want a refund"] },
          { name: "b", applies_to: ["note", "conversation", "note"], rules: { keywords: ["x"] } },
        ],
      },
      1,
    );
    expect(compiled.input.labels).toEqual([
      {
        name: "billing/refund",
        description: "Money back",
        examples: ["I want a refund"],
        applies_to: ["conversation", "note"],
        rules: { keywords: [], all_keywords: [], none_keywords: [], regex: [], scope: "any" },
        detect: ["rules"],
      },
      {
        name: "b",
        applies_to: ["conversation", "note"],
        rules: { keywords: ["x"], all_keywords: [], none_keywords: [], regex: [], scope: "any" },
        detect: ["rules"],
      },
    ]);
    // The normalized input is itself a valid input, and compiles to the same.
    expect(taxonomyInput.parse(compiled.input)).toEqual(compiled.input);
    expect(compileTaxonomy(compiled.input, 1).input).toEqual(compiled.input);
  });

  it("sorts compiled labels by name and marks labels without positive rules", () => {
    const compiled = compileTaxonomy(
      {
        labels: [
          { name: "tech/crash", rules: { keywords: ["crash"] } },
          { name: "billing", rules: { none_keywords: ["test"] } },
          { name: "billing/refund", rules: { regex: ["refund"] } },
        ],
      },
      1,
    );
    expect(compiled.labels.map((l) => [l.name, l.positive])).toEqual([
      ["billing", false],
      ["billing/refund", true],
      ["tech/crash", true],
    ]);
  });

  it("tokenizes and de-duplicates keywords", () => {
    const compiled = compileTaxonomy(
      one({ name: "a", rules: { keywords: ["Money-Back", "money back", "Refund"] } }),
      1,
    );
    expect(compiled.labels[0]?.keywords).toEqual([
      { text: "Money-Back", tokens: ["money", "back"], ids: [0, 1] },
      { text: "Refund", tokens: ["refund"], ids: [2] },
    ]);
  });

  it.each([
    "billing",
    "billing/refund",
    "a/b/c",
    "v1.2",
    "snake_case/kebab-case",
    ".hidden",
    "x".repeat(100),
  ])("accepts the name %j", (name) => {
    expect(compileTaxonomy(one({ name }), 1).labels[0]?.name).toBe(name);
  });

  it.each([
    "",
    "Billing",
    "billing/",
    "/billing",
    "billing//refund",
    "billing refund",
    "café",
    "..",
    "a/./b",
    "x".repeat(101),
  ])("refuses the name %j", (name) => {
    const [issue] = issuesOf(one({ name }));
    expect(issue?.field).toBe("name");
  });

  it("names the label and the problem for a regex that does not compile", () => {
    const err = refusal(one({ name: "billing/refund", rules: { regex: ["refund", "(a+"] } }));
    expect(err.code).toBe("invalid_taxonomy");
    expect(err.status).toBe(400);
    expect(err.message).toMatch(
      /^label 'billing\/refund': rules\.regex\[1\]: '\(a\+' does not compile: missing closing \)/,
    );
    expect((err.details as { issues: TaxonomyIssue[] }).issues).toEqual([
      {
        label: "billing/refund",
        field: "rules.regex[1]",
        message: expect.stringContaining("does not compile"),
      },
    ]);
  });

  it.each([
    ["(a)\\1", "backreference"],
    ["refund(?=ed)", "lookahead"],
    ["(?<=my )refund", "lookbehind"],
  ])("refuses %j (%s): RE2 syntax has none", (pattern) => {
    const [issue] = issuesOf(one({ name: "a", rules: { regex: [pattern] } }));
    expect(issue?.message).toContain("does not compile");
  });

  it.each(["", "a*", "refund|", "^$", "(?:)"])("refuses %j, which matches the empty string", (pattern) => {
    const [issue] = issuesOf(one({ name: "a", rules: { regex: [pattern] } }));
    expect(issue).toEqual({
      label: "a",
      field: "rules.regex[0]",
      message: expect.stringContaining("empty string"),
    });
  });

  it("refuses a pattern whose program is too large, and too many large patterns together", () => {
    const [issue] = issuesOf(one({ name: "a", rules: { regex: ["refund", "[a-z]{1,600}x"] } }));
    expect(issue).toEqual({
      label: "a",
      field: "rules.regex[1]",
      message: expect.stringContaining("too large"),
    });
    const labels = Array.from({ length: 60 }, (_, i) => ({
      name: `l${i}`,
      rules: { regex: [`[a-z]{1,450}${i}`] },
    }));
    expect(issuesOf({ labels })).toEqual([
      { label: null, field: "labels", message: expect.stringContaining("too large together") },
    ]);
  });

  it("accepts a catastrophic-backtracking pattern: RE2 runs it in linear time", () => {
    expect(
      compileTaxonomy(one({ name: "a", rules: { regex: ["(a+)+$"] } }), 1).labels[0]?.regex,
    ).toHaveLength(1);
  });

  it("refuses duplicate names", () => {
    const issues = issuesOf({ labels: [{ name: "a" }, { name: "b" }, { name: "a" }] });
    expect(issues).toEqual([{ label: "a", field: "name", message: "is also the name of labels[0]" }]);
  });

  it.each([
    ["keywords", ""],
    ["keywords", "   "],
    ["all_keywords", "!!!"],
    ["none_keywords", "--"],
  ])("refuses a %s entry %j that has no token", (list, keyword) => {
    const issues = issuesOf(one({ name: "a", rules: { [list]: ["ok", keyword] } }));
    expect(issues).toEqual([
      { label: "a", field: `rules.${list}[1]`, message: expect.stringMatching(/empty|no letters/) },
    ]);
  });

  it("refuses unknown fields at every level, naming the allowed ones", () => {
    expect(issuesOf({ labels: [], version: 2 })).toEqual([
      { label: null, field: "version", message: "unknown field; allowed: labels" },
    ]);
    expect(issuesOf(one({ name: "a", color: "red" }))).toEqual([
      {
        label: "a",
        field: "color",
        message: expect.stringContaining("allowed: name, description, applies_to"),
      },
    ]);
    expect(issuesOf(one({ name: "a", rules: { keyword: ["x"] } }))).toEqual([
      {
        label: "a",
        field: "rules.keyword",
        message: expect.stringContaining("allowed: keywords, all_keywords"),
      },
    ]);
  });

  it("refuses wrong types and values", () => {
    expect(issuesOf(null)[0]).toMatchObject({ label: null, field: "" });
    expect(issuesOf({})[0]).toMatchObject({ label: null, field: "labels" });
    expect(issuesOf({ labels: [7] })[0]).toMatchObject({ label: "labels[0]", field: "" });
    expect(issuesOf(one({ name: "a", applies_to: [] }))[0]).toMatchObject({ field: "applies_to" });
    expect(issuesOf(one({ name: "a", applies_to: ["email"] }))[0]).toMatchObject({ field: "applies_to[0]" });
    expect(issuesOf(one({ name: "a", rules: { scope: "system" } }))[0]).toMatchObject({
      field: "rules.scope",
    });
    expect(issuesOf(one({ name: "a", rules: { regex: "refund" } }))[0]).toMatchObject({
      field: "rules.regex",
    });
    expect(issuesOf(one({ name: "a", rules: { keywords: ["a\u0000b"] } }))[0]).toMatchObject({
      field: "rules.keywords[0]",
    });
  });

  it("lists every problem of every label, and says how many more in the message", () => {
    const err = refusal({
      labels: [
        { name: "Bad Name", rules: { regex: ["(x"] } },
        { name: "ok", rules: { keywords: ["?"], regex: ["[z"] } },
        { rules: {} },
      ],
    });
    const issues = (err.details as { issues: TaxonomyIssue[] }).issues;
    expect(issues.map((i) => [i.label, i.field])).toEqual([
      ["Bad Name", "name"],
      ["Bad Name", "rules.regex[0]"],
      ["ok", "rules.regex[0]"],
      ["ok", "rules.keywords[0]"],
      ["labels[2]", "name"],
    ]);
    expect(err.message).toMatch(
      /^label 'Bad Name': name: .*\(and 4 more problem\(s\), see details.issues\)$/,
    );
  });
});
