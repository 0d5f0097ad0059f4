import { describe, expect, it } from "vitest";
import { TextClassifier } from "./index.js";
import { multiLabel, singleLabel } from "./synthetic.js";

const single = singleLabel(150);
const multi = multiLabel(160);
const singleModel = TextClassifier.train(single, { seed: 3 });
const multiModel = TextClassifier.train(multi, { seed: 3 });

describe("TextClassifier.train", () => {
  it("learns a separable single-label problem", () => {
    expect(singleModel.info.multiLabel).toBe(false);
    expect(singleModel.info.labels).toEqual(["delivery", "password", "refund"]);
    expect(singleModel.info.examples).toBe(150);
    expect(singleModel.info.features).toBeGreaterThan(50);
    expect(singleModel.top("where is my parcel, the courier never came")?.label).toBe("delivery");
    expect(singleModel.top("I want my money back please")?.label).toBe("refund");
    expect(singleModel.top("cannot log in, I am locked out")?.label).toBe("password");
    const fresh = singleLabel(60, 99);
    const correct = fresh.filter((e) => singleModel.top(e.text)?.label === e.labels[0]).length;
    expect(correct).toBe(60);
  });

  it("predicts at most the top label for a single-label model", () => {
    const predictions = singleModel.predict("refund my package and reset my password");
    expect(predictions.length).toBeLessThanOrEqual(1);
    const clear = singleModel.predict("please refund me, I want a refund");
    expect(clear.map((p) => p.label)).toEqual(["refund"]);
  });

  it("learns a multi-label problem, including texts with no label", () => {
    expect(multiModel.info.multiLabel).toBe(true);
    const both = multiModel.predict("my parcel never arrived and also I want a refund for it");
    expect(both.map((p) => p.label).sort()).toEqual(["delivery", "refund"]);
    expect(multiModel.predict("hello there how are you")).toEqual([]);
    const three = multiModel.predict(
      "refund please, and also the courier lost my package, and also I am locked out",
    );
    expect(three.map((p) => p.label).sort()).toEqual(["delivery", "password", "refund"]);
  });

  it("gives calibrated, sorted confidences in [0, 1]", () => {
    for (const model of [singleModel, multiModel]) {
      const scores = model.scores("where is my package");
      expect(scores.map((s) => s.label).sort()).toEqual(model.info.labels);
      for (const s of scores) expect(s.confidence).toBeGreaterThanOrEqual(0);
      for (const s of scores) expect(s.confidence).toBeLessThanOrEqual(1);
      for (let k = 1; k < scores.length; k++) {
        expect((scores[k - 1] as { confidence: number }).confidence).toBeGreaterThanOrEqual(
          (scores[k] as { confidence: number }).confidence,
        );
      }
    }
    const total = singleModel.scores("anything at all").reduce((sum, s) => sum + s.confidence, 0);
    expect(total).toBeCloseTo(1, 10);
    // More evidence for a label, more confidence in it.
    const weak = multiModel.scores("the parcel").find((s) => s.label === "delivery")?.confidence ?? 0;
    const strong =
      multiModel.scores("the parcel, the courier, the delivery, shipping").find((s) => s.label === "delivery")
        ?.confidence ?? 0;
    expect(strong).toBeGreaterThan(weak);
    expect(strong).toBeGreaterThan(0.9);
    const unrelated =
      multiModel.scores("the weather is nice").find((s) => s.label === "delivery")?.confidence ?? 1;
    expect(unrelated).toBeLessThan(0.5);
  });

  it("has thresholds in [0, 1] for every label", () => {
    for (const model of [singleModel, multiModel]) {
      expect(Object.keys(model.info.thresholds).sort()).toEqual(model.info.labels);
      for (const t of Object.values(model.info.thresholds)) {
        expect(t).toBeGreaterThanOrEqual(0);
        expect(t).toBeLessThanOrEqual(1);
      }
    }
  });

  it("top() ignores thresholds and agrees with scores()", () => {
    const text = "is it shipping";
    expect(singleModel.top(text)).toEqual(singleModel.scores(text)[0]);
    expect(singleModel.top("")).toBeDefined();
  });

  it("explains predictions with words of the text, most important first", () => {
    const text = "Hi, my PARCEL hasn't arrived and the courier won't answer.";
    const [prediction] = multiModel.predict(text);
    expect(prediction?.label).toBe("delivery");
    const evidence = prediction?.evidence ?? [];
    expect(evidence.length).toBeGreaterThan(0);
    expect(evidence.length).toBeLessThanOrEqual(5);
    for (const word of evidence) expect(text).toContain(word);
    // The topic's own words lead, not the filler ("my", "the", "and").
    expect(["parcel", "hasn't", "arrived", "courier"]).toContain(evidence[0]?.toLowerCase());
    expect(evidence).not.toContain("the");
  });

  it("is deterministic for a seed", () => {
    const again = TextClassifier.train(single, { seed: 3 });
    expect(again.serialize()).toEqual(singleModel.serialize());
    expect(again.scores("refund")).toEqual(singleModel.scores("refund"));
  });

  it("rejects what it cannot train on", () => {
    expect(() => TextClassifier.train([])).toThrow(/no examples/);
    expect(() =>
      TextClassifier.train([
        { text: "a", labels: ["x"] },
        { text: "b", labels: ["x"] },
      ]),
    ).toThrow(/at least 2 distinct labels/);
    expect(() => TextClassifier.train([{ text: "a", labels: [] }])).toThrow(/at least 2 distinct labels/);
    expect(() => TextClassifier.train([{ text: 5, labels: ["x"] } as never])).toThrow(/text/);
    expect(() => TextClassifier.train([{ text: "a", labels: "x" } as never])).toThrow(/labels/);
  });

  it("trains on tiny data sets", () => {
    const two = TextClassifier.train([
      { text: "refund please", labels: ["refund"] },
      { text: "where is my parcel", labels: ["delivery"] },
    ]);
    expect(two.info.multiLabel).toBe(false);
    expect(two.scores("refund")).toHaveLength(2);
    const one = TextClassifier.train([{ text: "refund my parcel", labels: ["refund", "delivery"] }]);
    expect(one.info.multiLabel).toBe(true);
    expect(one.info.labels).toEqual(["delivery", "refund"]);
    for (const s of one.scores("refund")) expect(Number.isFinite(s.confidence)).toBe(true);
    const duplicates = TextClassifier.train([
      { text: "a b", labels: ["x", "x"] },
      { text: "c d", labels: ["y"] },
      { text: "", labels: ["y"] },
    ]);
    expect(duplicates.info.multiLabel).toBe(false);
  });

  it("copes with texts that have no known features", () => {
    for (const text of ["", "???", "zzzz qqqq", "😀"]) {
      const scores = singleModel.scores(text);
      expect(scores).toHaveLength(3);
      for (const s of scores) expect(Number.isFinite(s.confidence)).toBe(true);
    }
  });
});

describe("serialization", () => {
  it("round-trips to identical scores and predictions", () => {
    for (const model of [singleModel, multiModel]) {
      const bytes = model.serialize();
      const copy = TextClassifier.deserialize(bytes);
      expect(copy.info).toEqual(model.info);
      for (const text of [
        "refund for my parcel",
        "locked out again",
        "",
        "and also delivery and also password",
      ]) {
        expect(copy.scores(text)).toEqual(model.scores(text));
        expect(copy.predict(text)).toEqual(model.predict(text));
      }
      expect(copy.serialize()).toEqual(bytes);
    }
  });

  it("is compact", () => {
    expect(singleModel.serialize().length).toBeLessThan(64 * 1024);
  });

  it("rejects garbage, truncation and corruption", () => {
    const bytes = multiModel.serialize();
    expect(() => TextClassifier.deserialize(new Uint8Array())).toThrow(/not a relabel classifier/);
    expect(() => TextClassifier.deserialize(new TextEncoder().encode("hello world, not a model"))).toThrow();
    expect(() => TextClassifier.deserialize(bytes.subarray(0, bytes.length - 10))).toThrow();
    const flipped = bytes.slice();
    flipped[Math.floor(bytes.length / 2)] = (flipped[Math.floor(bytes.length / 2)] as number) ^ 0xff;
    expect(() => TextClassifier.deserialize(flipped)).toThrow();
    const version = bytes.slice();
    version[4] = 99;
    expect(() => TextClassifier.deserialize(version)).toThrow(/version/);
    expect(() => TextClassifier.deserialize("model" as never)).toThrow();
  });
});
