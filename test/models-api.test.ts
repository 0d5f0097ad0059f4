import { fileURLToPath } from "node:url";
import type { LightMyRequestResponse } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Example } from "../src/classifier/index.js";
import { ERRORS, type ErrorCode } from "../src/errors.js";
import { readExamples } from "../src/models/data.js";
import { trainModel } from "../src/models/training.js";
import { freshApp, INGEST_TOKEN, type TestApp } from "./helpers/app.js";
import { runCli } from "./helpers/cli.js";
import { BACKENDS } from "./helpers/db.js";

/**
 * The model routes a web page needs, over the public API only: versions,
 * activation (and roll-back), and each version's evaluation against the
 * labels people set by hand.
 */

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const TRAIN = readExamples(fixture("banking77-train.csv"));
/** Version 2 never learns exchange_rate, so which version labeled an item shows. */
const WITHOUT_FX = TRAIN.filter((e) => !e.labels.includes("exchange_rate"));

/** Items a person labeled by hand: three as the model would, the last one differently on purpose. */
const HAND_LABELED: [id: string, text: string, label: string][] = [
  ["h-pin", "How do I change the PIN of my card?", "change_pin"],
  ["h-arrival", "my new card still has not arrived, where is it?", "card_arrival"],
  ["h-fx", "what exchange rate do you use", "exchange_rate"],
  ["h-odd", "I forgot my PIN, how can I change it", "exchange_rate"],
];

const zero = { precision: 0, recall: 0, f1: 0, support: 0 };

function expectError(res: LightMyRequestResponse, code: ErrorCode, message?: RegExp) {
  expect(res.statusCode, res.body).toBe(ERRORS[code].status);
  expect(res.json().error.code, res.body).toBe(code);
  if (message) expect(res.json().error.message).toMatch(message);
}

describe.each(BACKENDS)("the model API on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend);
  });
  afterEach(() => t.cleanup());

  /** Version 1 from every fixture row, version 2 without exchange_rate (active, as the newest). */
  const trainTwo = async () => {
    await trainModel(t.database, { file: { name: "train.csv", examples: TRAIN } });
    await trainModel(t.database, { file: { name: "without-fx.csv", examples: WITHOUT_FX } });
  };
  const versions = async () =>
    (await t.api({ method: "GET", url: "/api/internal/models" }))
      .json()
      .models.map((m: { version: number; active: boolean }) => [m.version, m.active]);
  const activate = (version: number | string) =>
    t.api({ method: "POST", url: `/api/internal/models/${version}/activate` });
  const evaluation = (version: number | string) =>
    t.api({ method: "GET", url: `/api/internal/models/${version}/evaluation` });
  const evaluate = (payload: object) =>
    t.api({ method: "POST", url: "/api/internal/labels/evaluate", payload });
  const drain = async () => {
    for (let i = 0; i < 20; i++) {
      const res = await t.api({ method: "POST", url: "/api/tick/runners" });
      if (res.json().remaining === 0) return;
    }
    throw new Error("the queue did not drain");
  };
  const put = (id: string, text: string) =>
    t.api({
      method: "PUT",
      url: `/api/conversations/${id}`,
      payload: { messages: [{ role: "customer", text }] },
    });
  const labelByHand = async () => {
    for (const [id, text, label] of HAND_LABELED) {
      expect((await put(id, text)).statusCode).toBeLessThan(300);
      const res = await t.api({
        method: "POST",
        url: `/api/conversations/${id}/labels`,
        payload: { name: label },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
  };
  const modelLabels = async (id: string) =>
    (await t.api({ method: "GET", url: `/api/conversations/${id}` }))
      .json()
      .labels.map((l: { name: string; source: string; model_version: number | null }) => [
        l.name,
        l.source,
        l.model_version,
      ]);

  it("rolls back to an older version, which new analyses then use, and forward again", async () => {
    await trainTwo();
    expect(await versions()).toEqual([
      [2, true],
      [1, false],
    ]);

    const rolledBack = await activate(1);
    expect(rolledBack.statusCode, rolledBack.body).toBe(200);
    expect(rolledBack.json()).toMatchObject({
      version: 1,
      active: true,
      examples: TRAIN.length,
      sources: { file: TRAIN.length, file_name: "train.csv" },
    });
    expect(rolledBack.json().labels).toContain("exchange_rate");
    expect(await versions()).toEqual([
      [2, false],
      [1, true],
    ]);

    // Only version 1 knows exchange_rate.
    await put("fx", "what exchange rate do you use");
    await drain();
    expect(await modelLabels("fx")).toEqual([["exchange_rate", "model", 1]]);
    const history = (await t.api({ method: "GET", url: "/api/conversations/fx/labels/history" })).json();
    expect(history.items[0]).toMatchObject({ kind: "analysis", added: ["exchange_rate"], model_version: 1 });

    // Activating the active version changes nothing; forward again to 2.
    expect((await activate(1)).json()).toMatchObject({ version: 1, active: true });
    expect((await activate(2)).json()).toMatchObject({ version: 2, active: true });
    await put("pin", "How do I change the PIN of my card?");
    await drain();
    expect(await modelLabels("pin")).toEqual([["change_pin", "model", 2]]);
    // Existing labels stay until re-labeled.
    expect(await modelLabels("fx")).toEqual([["exchange_rate", "model", 1]]);

    // The CLI shares the code: it sees and makes the same state.
    const cli = await runCli(["model", "activate", "1"], { DATABASE_URL: t.url });
    expect(cli.code, cli.stderr).toBe(0);
    expect(await versions()).toEqual([
      [2, false],
      [1, true],
    ]);
  });

  it("scores any version against the labels people set by hand", async () => {
    await trainTwo();
    await labelByHand();

    const v1 = await evaluation(1);
    expect(v1.statusCode, v1.body).toBe(200);
    expect(v1.json()).toEqual({
      mode: "people",
      model_version: 1,
      examples: 4,
      single_label: true,
      accuracy: 0.75,
      micro_f1: 0.75, // 3 right, 1 missed, 1 wrong: 2·3 / (2·3 + 1 + 1)
      macro_f1: expect.closeTo(7 / 9, 12), // (1 + 2/3 + 2/3) / 3
      per_label: {
        card_arrival: { precision: 1, recall: 1, f1: 1, support: 1 },
        change_pin: { precision: 0.5, recall: 1, f1: expect.closeTo(2 / 3, 12), support: 1 },
        exchange_rate: { precision: 1, recall: 0.5, f1: expect.closeTo(2 / 3, 12), support: 2 },
        cash_withdrawal_charge: zero,
        lost_or_stolen_card: zero,
        pending_transfer: zero,
        refund_not_showing_up: zero,
        top_up_failed: zero,
      },
      confusions: [{ actual: "exchange_rate", predicted: "change_pin", count: 1 }],
    });

    // Version 2 never learned exchange_rate: only the items with labels it knows are its ground truth.
    const v2 = await evaluation(2);
    expect(v2.json()).toMatchObject({
      mode: "people",
      model_version: 2,
      examples: 2,
      accuracy: 1,
      confusions: [],
    });
    expect(v2.json().per_label.exchange_rate).toBeUndefined();

    // The same as POST …/evaluate {people: true, model_version}.
    const posted = await evaluate({ people: true, model_version: 1 });
    expect(posted.json()).toEqual(v1.json());

    // The ground truth changes with the items' text, not only with the decisions: no stale answer.
    await put("h-odd", "what exchange rate do you use for dollars");
    const after = await evaluation(1);
    expect(after.json()).toMatchObject({ examples: 4, accuracy: 1, micro_f1: 1, confusions: [] });
    // And with the decisions: one more item labeled by hand.
    await put("h-more", "Where is the card you sent me?");
    await t.api({
      method: "POST",
      url: "/api/conversations/h-more/labels",
      payload: { name: "card_arrival" },
    });
    expect((await evaluation(1)).json()).toMatchObject({ examples: 5, accuracy: 1 });
  });

  it("scores a given version on posted examples", async () => {
    await trainTwo();
    const examples: Example[] = HAND_LABELED.map(([, text, label]) => ({ text, labels: [label] }));
    const v1 = await evaluate({ examples, model_version: 1 });
    expect(v1.statusCode, v1.body).toBe(200);
    expect(v1.json()).toMatchObject({ mode: "model", model_version: 1, examples: 4, accuracy: 0.75 });
    const active = await evaluate({ examples });
    expect(active.json()).toMatchObject({ mode: "active_model", model_version: 2, examples: 4 });
  });

  it("answers the errors with their catalog codes", async () => {
    expectError(await evaluation(1), "model_not_found", /No model version 1; GET \/api\/internal\/models/);
    expectError(await activate(1), "model_not_found");
    await trainTwo();
    expectError(await activate(9), "model_not_found", /No model version 9/);
    expectError(await evaluation(9), "model_not_found");
    expectError(
      await evaluate({ examples: [{ text: "a", labels: ["x"] }], model_version: 9 }),
      "model_not_found",
    );
    for (const bad of ["0", "-1", "abc", "1.5", "99999999999"]) {
      expectError(await activate(bad), "validation_failed");
      expectError(await evaluation(bad), "validation_failed");
    }
    expectError(
      await t.api({ method: "POST", url: "/api/internal/models/1/activate", payload: { version: 1 } }),
      "validation_failed",
      /takes no body/,
    );
    expectError(
      await evaluate({
        examples: [
          { text: "a", labels: ["x"] },
          { text: "b", labels: ["y"] },
        ],
        folds: 2,
        model_version: 1,
      }),
      "validation_failed",
    );
    const ingest = { authorization: `Bearer ${INGEST_TOKEN}` };
    expectError(
      await t.api({ method: "POST", url: "/api/internal/models/1/activate", headers: ingest }),
      "insufficient_scope",
    );
    expectError(
      await t.api({ method: "GET", url: "/api/internal/models/1/evaluation", headers: ingest }),
      "insufficient_scope",
    );
    // A refused activation changes nothing.
    expect(await versions()).toEqual([
      [2, true],
      [1, false],
    ]);

    // No ground truth: nobody labeled anything by hand, then only with a label version 2 lacks.
    expectError(
      await evaluation(2),
      "no_ground_truth",
      /label some items by hand.*POST \/api\/internal\/labels\/evaluate/is,
    );
    expectError(await evaluate({ people: true }), "no_ground_truth");
    await put("fx", "what exchange rate do you use");
    await t.api({ method: "POST", url: "/api/conversations/fx/labels", payload: { name: "exchange_rate" } });
    expectError(
      await evaluation(2),
      "no_ground_truth",
      /None of the 1 items labeled by hand carries a label model version 2 knows/,
    );
    expect((await evaluation(1)).json()).toMatchObject({ model_version: 1, examples: 1, accuracy: 1 });
  });
});

/** 3,600 distinct examples: a 10-fold cross-validation of them computes for seconds. */
function heavyExamples(): Example[] {
  return Array.from({ length: 15 }, (_, copy) =>
    TRAIN.map((e, i) => {
      const other = TRAIN[(i * 7 + copy * 31) % TRAIN.length] as Example;
      return {
        text: `${e.text} ${other.text
          .split(" ")
          .slice(0, 3 + (copy % 4))
          .join(" ")}`,
        labels: e.labels,
      };
    }),
  ).flat();
}

describe("a version's evaluation shares the evaluation threads", () => {
  it("waits its turn like any evaluation (503 beyond the queue), and answers a repeat from its cache", async () => {
    const t = await freshApp("sqlite");
    try {
      await trainModel(t.database, { file: { name: "train.csv", examples: TRAIN } });
      for (const [id, text, label] of HAND_LABELED) {
        await t.api({
          method: "PUT",
          url: `/api/conversations/${id}`,
          payload: { messages: [{ role: "customer", text }] },
        });
        await t.api({ method: "POST", url: `/api/conversations/${id}/labels`, payload: { name: label } });
      }
      const get = () => t.api({ method: "GET", url: "/api/internal/models/1/evaluation" });
      const first = await get();
      expect(first.statusCode, first.body).toBe(200);

      const heavy = { examples: heavyExamples(), folds: 10 };
      // One runs, four wait: the queue is full. Of six at once, whichever comes last is refused,
      // which says the other five have their places (no sleep to guess when, on a loaded machine).
      const posted = Array.from({ length: 6 }, () =>
        t.api({ method: "POST", url: "/api/internal/labels/evaluate", payload: heavy }),
      );
      const full = await Promise.race(posted.map((res, i) => res.then((r) => ({ r, i }))));
      expect(full.r.statusCode, full.r.body).toBe(503);
      const accepted = posted.filter((_, i) => i !== full.i);
      // Nothing changed: the same answer, without a thread.
      const again = await get();
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json()).toEqual(first.json());
      // The ground truth changed: it must compute, and there is no place for it.
      await t.api({
        method: "POST",
        url: "/api/conversations/h-odd/labels",
        payload: { name: "change_pin" },
      });
      const refused = await get();
      expect(refused.statusCode, refused.body).toBe(503);
      expect(refused.json().error.code).toBe("evaluation_unavailable");
      await t.app.close();
      for (const res of await Promise.all(accepted)) expect(res.statusCode).toBe(503);
    } finally {
      await t.cleanup();
    }
  });
});
