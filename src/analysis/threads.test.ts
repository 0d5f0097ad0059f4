import { afterEach, describe, expect, it } from "vitest";
import type { StoredItem } from "./item.js";
import { toAnalyzable } from "./item.js";
import { analyze } from "./rules.js";
import { compileTaxonomy } from "./taxonomy.js";
import { AnalysisThreads, THREAD_MIN_BATCH } from "./threads.js";

const refunds = compileTaxonomy(
  {
    labels: [
      { name: "billing/refund", rules: { keywords: ["refund", "money back"] } },
      { name: "shipping/late", rules: { regex: ["\\blate\\b"] }, applies_to: ["conversation"] },
    ],
  },
  1,
);

function items(count: number): StoredItem[] {
  return Array.from({ length: count }, (_, i) =>
    i % 3 === 0
      ? { kind: "note", text: `note ${i}: the customer wants their money back` }
      : {
          kind: "conversation",
          subject: `order ${i}`,
          messages: JSON.stringify([
            { role: "customer", text: i % 2 ? "my parcel is late" : "please refund me", at: 1 },
            { role: "agent", text: "on it" },
          ]),
        },
  );
}

describe("analysis threads", () => {
  let threads: AnalysisThreads | undefined;
  afterEach(async () => {
    await threads?.close();
  });

  it("give exactly the labels and evidence of analysis inline, in item order", async () => {
    threads = new AnalysisThreads(2);
    const batch = items(THREAD_MIN_BATCH * 3);
    const inline = batch.map((item) => analyze(toAnalyzable(item), refunds));
    const [a, b] = await Promise.all([
      threads.analyze(batch, refunds),
      threads.analyze(batch.slice(5), refunds),
    ]);
    expect(a).toEqual(inline);
    expect(b).toEqual(inline.slice(5));
    expect(a.filter((labels) => labels.length > 0).length).toBe(batch.length);
  });

  it("use a new taxonomy version from the next batch on", async () => {
    threads = new AnalysisThreads(1);
    const batch = items(THREAD_MIN_BATCH);
    expect((await threads.analyze(batch, refunds))[0]?.map((l) => l.name)).toEqual(["billing/refund"]);
    const renamed = compileTaxonomy(
      { labels: [{ name: "money/back", rules: { keywords: ["money back"] } }] },
      2,
    );
    expect((await threads.analyze(batch, renamed))[0]?.map((l) => l.name)).toEqual(["money/back"]);
    expect((await threads.analyze(batch, refunds))[0]?.map((l) => l.name)).toEqual(["billing/refund"]);
  });

  it("fail a batch the thread cannot analyze, and go on serving the next", async () => {
    threads = new AnalysisThreads(1);
    const bad: StoredItem[] = [
      ...items(THREAD_MIN_BATCH),
      { kind: "conversation", subject: "x", messages: "{not json" },
    ];
    await expect(threads.analyze(bad, refunds)).rejects.toThrow(/JSON/);
    expect(await threads.analyze(items(THREAD_MIN_BATCH), refunds)).toHaveLength(THREAD_MIN_BATCH);
  });

  it("analyze small batches and a size of 0 inline, with the same result", async () => {
    threads = new AnalysisThreads(0);
    const batch = items(THREAD_MIN_BATCH * 2);
    expect(await threads.analyze(batch, refunds)).toEqual(
      batch.map((i) => analyze(toAnalyzable(i), refunds)),
    );
  });
});
