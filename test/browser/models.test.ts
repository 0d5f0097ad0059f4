import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { readExamples } from "../../src/models/data.js";
import { trainModel } from "../../src/models/training.js";
import { INGEST_TOKEN } from "../helpers/app.js";
import { BACKENDS } from "../helpers/db.js";
import {
  type AppInBrowser,
  describeBrowser,
  expectSoundPage,
  openApp,
  screenshot,
  signIn,
} from "./harness.js";

/** As test/models-api.test.ts: its exact figures hold here too. */
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const TRAIN = readExamples(fixture("banking77-train.csv"));
const WITHOUT_FX = TRAIN.filter((e) => !e.labels.includes("exchange_rate"));
/** Version 3 knows only labels nobody set by hand: it has no ground truth. */
const UNJUDGED = TRAIN.filter((e) => e.labels.some((l) => l === "top_up_failed" || l === "pending_transfer"));

const HAND_LABELED: [id: string, text: string, label: string][] = [
  ["h-pin", "How do I change the PIN of my card?", "change_pin"],
  ["h-arrival", "my new card still has not arrived, where is it?", "card_arrival"],
  ["h-fx", "what exchange rate do you use", "exchange_rate"],
  ["h-odd", "I forgot my PIN, how can I change it", "exchange_rate"],
];

interface Model {
  version: number;
  active: boolean;
  labels: string[];
  examples: number;
}
interface Metrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

async function apiModels(a: AppInBrowser): Promise<Model[]> {
  return (await a.t.api({ method: "GET", url: "/api/internal/models" })).json().models;
}

const row = (page: Page, version: number) => page.locator(`.models-versions tr[data-version="${version}"]`);

async function showEvaluation(page: Page, version: number) {
  await page.getByRole("button", { name: `Evaluation of version ${version}`, exact: true }).click();
  await page.locator(`[data-evaluation="${version}"]`).waitFor();
}

describeBrowser.each(BACKENDS)("the Models page on %s", (backend) => {
  let a: AppInBrowser;
  beforeAll(async () => {
    // No sample, no runners: the file's labels make the taxonomy, and nothing changes under the test.
    a = await openApp(backend, { sample: false, runners: false });
    await trainModel(a.t.database, { file: { name: "train.csv", examples: TRAIN } });
    await trainModel(a.t.database, { file: { name: "without-fx.csv", examples: WITHOUT_FX } });
    await trainModel(a.t.database, { file: { name: "unjudged.csv", examples: UNJUDGED }, activate: false });
    // Labeled by hand after training, so no version learned them.
    for (const [id, text, label] of HAND_LABELED) {
      const put = await a.t.api({
        method: "PUT",
        url: `/api/conversations/${id}`,
        payload: { messages: [{ role: "customer", text }] },
      });
      expect(put.statusCode, put.body).toBeLessThan(300);
      const labeled = await a.t.api({
        method: "POST",
        url: `/api/conversations/${id}/labels`,
        payload: { name: label },
      });
      expect(labeled.statusCode, labeled.body).toBe(200);
    }
  }, 60_000);
  afterAll(() => a?.close());

  it("lists the API's versions, newest first, with the active one marked", async () => {
    await a.page.goto(`${a.origin}/models`);
    await expectSoundPage(a.page, "Models");
    const models = await apiModels(a);
    expect(models.map((m) => [m.version, m.active])).toEqual([
      [3, false],
      [2, true],
      [1, false],
    ]);
    await row(a.page, 1).waitFor();
    expect(
      await a.page
        .locator(".models-versions tbody tr")
        .evaluateAll((rows) => rows.map((r) => r.dataset.version)),
    ).toEqual(models.map((m) => String(m.version)));
    for (const m of models) {
      const r = row(a.page, m.version);
      expect(await r.locator('[data-field="labels"]').textContent()).toBe(String(m.labels.length));
      expect(await r.locator('[data-field="examples"]').textContent()).toBe(
        m.examples.toLocaleString("en-US"),
      );
      expect(await r.locator('[data-field="active"]').count()).toBe(m.active ? 1 : 0);
      expect(await r.getByRole("button", { name: "Active", exact: true }).count()).toBe(m.active ? 1 : 0);
    }
    // Older than the active one: a roll-back; newer: an activation.
    expect(await row(a.page, 1).getByRole("button", { name: "Roll back to version 1" }).count()).toBe(1);
    expect(await row(a.page, 3).getByRole("button", { name: "Activate version 3" }).count()).toBe(1);
    expect(await row(a.page, 3).locator('[data-field="sources"]').textContent()).toContain("unjudged.csv");
    // Without a choice, the active version's evaluation is shown.
    await a.page.locator('[data-evaluation="2"] [data-score="accuracy"]').waitFor();
  });

  it("shows a version's evaluation exactly as the API answers it", async () => {
    await a.page.goto(`${a.origin}/models`);
    await showEvaluation(a.page, 1);
    expect(new URL(a.page.url()).searchParams.get("version")).toBe("1");
    const res = await a.t.api({ method: "GET", url: "/api/internal/models/1/evaluation" });
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({ model_version: 1, examples: 4, accuracy: 0.75, micro_f1: 0.75 });

    const section = a.page.locator('[data-evaluation="1"]');
    await section.locator('[data-score="accuracy"]').waitFor();
    for (const field of ["accuracy", "micro_f1", "macro_f1"]) {
      const card = section.locator(`[data-score="${field}"]`);
      expect(await card.getAttribute("data-value")).toBe(String(report[field]));
      expect(await card.textContent()).toBe(pct(report[field]));
    }
    expect(await section.locator('[data-score="examples"]').textContent()).toBe(String(report.examples));

    // Per label, most support first (then by name), each figure as the API's.
    const perLabel = Object.entries(report.per_label as Record<string, Metrics>).sort(
      ([x, m], [y, n]) => n.support - m.support || (x < y ? -1 : 1),
    );
    const rows = section.locator(".models-per-label tbody tr");
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.label))).toEqual(
      perLabel.map(([name]) => name),
    );
    for (const [name, m] of perLabel) {
      const tr = section.locator(`.models-per-label tr[data-label="${name}"]`);
      for (const k of ["precision", "recall", "f1"] as const) {
        expect(await tr.locator(`[data-field="${k}"]`).getAttribute("data-value")).toBe(String(m[k]));
        expect(await tr.locator(`[data-field="${k}"]`).textContent()).toBe(pct(m[k]));
      }
      expect(await tr.locator('[data-field="support"]').textContent()).toBe(String(m.support));
    }

    // The confusions, most frequent first.
    expect(report.confusions).toEqual([{ actual: "exchange_rate", predicted: "change_pin", count: 1 }]);
    const confusions = await section.locator(".models-confusions tbody tr").evaluateAll((trs) =>
      trs.map((tr) => ({
        actual: tr.querySelector('[data-field="actual"]')?.textContent,
        predicted: tr.querySelector('[data-field="predicted"]')?.textContent,
        count: Number(tr.querySelector('[data-field="count"]')?.textContent),
      })),
    );
    expect(confusions).toEqual(report.confusions);
    await expectSoundPage(a.page, "Models");
    await screenshot(a.page, "models");

    // Version 2 never learned exchange_rate: its own, smaller ground truth, and no confusion.
    await showEvaluation(a.page, 2);
    const v2 = (await a.t.api({ method: "GET", url: "/api/internal/models/2/evaluation" })).json();
    const v2Section = a.page.locator('[data-evaluation="2"]');
    await v2Section.locator('[data-score="examples"]').waitFor();
    expect(await v2Section.locator('[data-score="examples"]').textContent()).toBe(String(v2.examples));
    expect(await v2Section.locator('[data-score="accuracy"]').getAttribute("data-value")).toBe(
      String(v2.accuracy),
    );
    expect(await v2Section.locator('.models-per-label tr[data-label="exchange_rate"]').count()).toBe(0);
    await v2Section.locator("[data-no-confusions]").waitFor();
    expect(a.pageErrors).toEqual([]);
  });

  it("shows the API's message for a version with no ground truth", async () => {
    await a.page.goto(`${a.origin}/models?version=3`);
    const res = await a.t.api({ method: "GET", url: "/api/internal/models/3/evaluation" });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("no_ground_truth");
    const hint = a.page.locator('[data-evaluation="3"] [data-no-ground-truth]');
    await hint.waitFor();
    expect(await hint.textContent()).toBe(res.json().error.message);
    expect(await a.page.locator('[data-evaluation="3"] .models-per-label').count()).toBe(0);
    await expectSoundPage(a.page, "Models");
    expect(a.pageErrors).toEqual([]);
  });

  it("rolls back to an older version after a confirmation, as the API then lists", async () => {
    await a.page.goto(`${a.origin}/models`);
    await row(a.page, 1).getByRole("button", { name: "Roll back to version 1" }).click();
    const dialog = a.page.getByRole("dialog", { name: "Roll back to version 1" });
    await dialog.waitFor();
    // Keep changes nothing.
    await dialog.getByRole("button", { name: "Keep" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect((await apiModels(a)).find((m) => m.active)?.version).toBe(2);

    await row(a.page, 1).getByRole("button", { name: "Roll back to version 1" }).click();
    await dialog.getByRole("button", { name: "Roll back to version 1" }).click();
    await row(a.page, 1).locator('[data-field="active"]').waitFor();
    await a.page.getByRole("status").getByText("Version 1 is active").waitFor();
    expect((await apiModels(a)).map((m) => [m.version, m.active])).toEqual([
      [3, false],
      [2, false],
      [1, true],
    ]);
    expect(await row(a.page, 2).locator('[data-field="active"]').count()).toBe(0);
    // Now both others are newer than the active one: activations, not roll-backs.
    expect(await row(a.page, 2).getByRole("button", { name: "Activate version 2" }).count()).toBe(1);
    expect(await row(a.page, 1).getByRole("button", { name: "Active", exact: true }).isDisabled()).toBe(true);
    await expectSoundPage(a.page, "Models");
    expect(a.pageErrors).toEqual([]);
  });

  it("shows an ingest token why there is nothing for it", async () => {
    const context = await a.browser.newContext();
    const page = await context.newPage();
    await signIn(page, a.origin, INGEST_TOKEN);
    await page.goto(`${a.origin}/models`);
    await page.locator("[data-admin-only]").waitFor();
    expect(await page.getByRole("table").count()).toBe(0);
    expect(await page.getByRole("button", { name: /Activate|Roll back/ }).count()).toBe(0);
    await expectSoundPage(page, "Models");
    await context.close();
  });
});

describeBrowser.each(BACKENDS)("the Models page without a model on %s", (backend) => {
  let a: AppInBrowser;
  beforeAll(async () => {
    a = await openApp(backend, { sample: false, runners: false });
  }, 60_000);
  afterAll(() => a?.close());

  it("says how to train one", async () => {
    expect(await apiModels(a)).toEqual([]);
    await a.page.goto(`${a.origin}/models`);
    const empty = a.page.locator("[data-no-models]");
    await empty.waitFor();
    expect(await empty.textContent()).toContain("relabel model train --data FILE");
    expect(await a.page.getByRole("table").count()).toBe(0);
    await expectSoundPage(a.page, "Models");
    expect(a.pageErrors).toEqual([]);
  });
});
