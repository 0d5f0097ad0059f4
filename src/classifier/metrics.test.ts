import { describe, expect, it } from "vitest";
import { assignFolds } from "./folds.js";
import { crossValidate, evaluate, TextClassifier } from "./index.js";
import { seeded } from "./random.js";
import { multiLabel, singleLabel } from "./synthetic.js";

/** A model whose answers are given per text, to check the arithmetic of evaluate(). */
function scripted(
  labels: string[],
  answers: Record<string, { top: string; predicted: string[] }>,
): TextClassifier {
  const answer = (text: string) => answers[text] as { top: string; predicted: string[] };
  return {
    info: { labels, multiLabel: false, features: 0, examples: 0, thresholds: {} },
    top: (text: string) => ({ label: answer(text).top, confidence: 0.9 }),
    predict: (text: string) =>
      answer(text).predicted.map((label) => ({ label, confidence: 0.9, evidence: [] })),
    scores: () => [],
  } as unknown as TextClassifier;
}

describe("evaluate", () => {
  it("scores single-label data: accuracy by top(), F1 by predict()", () => {
    const model = scripted(["A", "B", "C", "D"], {
      a1: { top: "A", predicted: ["A"] },
      a2: { top: "B", predicted: ["B"] },
      a3: { top: "A", predicted: [] }, // abstains below the threshold
      b1: { top: "B", predicted: ["B"] },
      c1: { top: "B", predicted: ["B"] },
    });
    const report = evaluate(model, [
      { text: "a1", labels: ["A"] },
      { text: "a2", labels: ["A"] },
      { text: "a3", labels: ["A"] },
      { text: "b1", labels: ["B"] },
      { text: "c1", labels: ["C"] },
    ]);
    expect(report.examples).toBe(5);
    expect(report.single_label).toBe(true);
    expect(report.accuracy).toBeCloseTo(3 / 5, 12);
    expect(report.per_label.A).toEqual({ precision: 1, recall: 1 / 3, f1: 0.5, support: 3 });
    expect(report.per_label.B).toEqual({ precision: 1 / 3, recall: 1, f1: 0.5, support: 1 });
    expect(report.per_label.C).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    // A label of the model that neither occurs nor is predicted: listed, not averaged.
    expect(report.per_label.D).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(report.micro_f1).toBeCloseTo(4 / 9, 12); // tp 2, fp 2, fn 3
    expect(report.macro_f1).toBeCloseTo(1 / 3, 12);
    expect(report.confusions).toEqual([
      { actual: "A", predicted: "B", count: 1 },
      { actual: "C", predicted: "B", count: 1 },
    ]);
  });

  it("scores multi-label data, including examples without labels", () => {
    const model = scripted(["X", "Y", "Z"], {
      one: { top: "X", predicted: ["X", "Z"] },
      two: { top: "Y", predicted: ["Y"] },
      three: { top: "X", predicted: [] },
      four: { top: "X", predicted: ["X"] },
    });
    const report = evaluate(model, [
      { text: "one", labels: ["X", "Y"] },
      { text: "two", labels: [] },
      { text: "three", labels: ["Z"] },
      { text: "four", labels: ["X"] },
    ]);
    expect(report.single_label).toBe(false);
    expect(report.accuracy).toBeUndefined();
    expect(report.per_label.X).toEqual({ precision: 1, recall: 1, f1: 1, support: 2 });
    expect(report.per_label.Y).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(report.per_label.Z).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(report.micro_f1).toBeCloseTo(0.5, 12); // tp 2, fp 2, fn 2
    expect(report.macro_f1).toBeCloseTo(1 / 3, 12);
    expect(report.confusions).toEqual([{ actual: "Y", predicted: "Z", count: 1 }]);
  });

  it("ranks confusions by count and keeps at most 20", () => {
    const labels = Array.from({ length: 30 }, (_, i) => `L${String(i).padStart(2, "0")}`);
    const answers: Record<string, { top: string; predicted: string[] }> = {};
    const examples = [];
    for (let i = 0; i < 30; i++) {
      for (let r = 0; r <= (i === 7 ? 3 : 0); r++) {
        const text = `t${i}-${r}`;
        const wrong = labels[(i + 1) % 30] as string;
        answers[text] = { top: wrong, predicted: [wrong] };
        examples.push({ text, labels: [labels[i] as string] });
      }
    }
    const report = evaluate(scripted(labels, answers), examples);
    expect(report.confusions).toHaveLength(20);
    expect(report.confusions[0]).toEqual({ actual: "L07", predicted: "L08", count: 4 });
    expect(report.confusions[1]).toEqual({ actual: "L00", predicted: "L01", count: 1 });
    expect(report.accuracy).toBe(0);
  });

  it("evaluates a trained model on held-out data", () => {
    const train = singleLabel(120, 5);
    const test = singleLabel(45, 6);
    const report = crossValidate(train, 3, { seed: 1 });
    expect(report.examples).toBe(120);
    expect(report.accuracy).toBeGreaterThan(0.95);
    expect(report.micro_f1).toBeGreaterThan(0.9);
    const model = TextClassifier.train(train, { seed: 2 });
    const held = evaluate(model, test);
    expect(held.accuracy).toBe(1);
    expect(Object.values(held.per_label).reduce((sum, m) => sum + m.support, 0)).toBe(45);
  });
});

describe("crossValidate", () => {
  const data = multiLabel(90, 4);

  it("is deterministic for a seed and pools every example once", () => {
    const first = crossValidate(data, 3, { seed: 7 });
    const second = crossValidate(data, 3, { seed: 7 });
    expect(second).toEqual(first);
    expect(first.examples).toBe(90);
    expect(first.single_label).toBe(false);
    expect(first.micro_f1).toBeGreaterThan(0.8);
    const support = data.reduce((sum, e) => sum + e.labels.length, 0);
    expect(Object.values(first.per_label).reduce((sum, m) => sum + m.support, 0)).toBe(support);
  });

  it("rejects impossible fold counts", () => {
    expect(() => crossValidate(data, 1)).toThrow(/folds/);
    expect(() => crossValidate(data.slice(0, 3), 5)).toThrow(/folds/);
  });
});

describe("assignFolds", () => {
  it("spreads each label evenly over the folds", () => {
    const labels = [
      ...Array.from({ length: 50 }, () => ["common"]),
      ...Array.from({ length: 10 }, () => ["rare"]),
      [],
    ];
    const folds = assignFolds(labels, 5, seeded(3));
    for (let f = 0; f < 5; f++) {
      const members = labels.filter((_, i) => folds[i] === f);
      expect(members.filter((l) => l[0] === "rare")).toHaveLength(2);
      expect(members.filter((l) => l[0] === "common")).toHaveLength(10);
    }
    expect(assignFolds(labels, 5, seeded(3))).toEqual(folds);
  });
});
