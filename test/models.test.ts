import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readExamples } from "../src/models/data.js";
import { freshApp, INGEST_TOKEN, type TestApp } from "./helpers/app.js";
import { runCli } from "./helpers/cli.js";
import { BACKENDS } from "./helpers/db.js";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const TRAIN = fixture("banking77-train.csv");
const TEST = fixture("banking77-test.csv");
const NLUPP = fixture("nlupp-sample.json");

describe.each(BACKENDS)("learned labels on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend);
  });
  afterEach(() => t.cleanup());

  const cli = (args: string[]) => runCli(args, { DATABASE_URL: t.url });
  const drain = async () => {
    for (let i = 0; i < 20; i++) {
      const res = await t.api({ method: "POST", url: "/api/tick/runners" });
      expect(res.statusCode).toBe(200);
      if (res.json().remaining === 0) return;
    }
    throw new Error("the queue did not drain");
  };

  it("trains from a file alone on a fresh database, then `eval --json` scores it", async () => {
    const trained = await cli(["model", "train", "--data", TRAIN]);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(/added 8 labels from banking77-train\.csv \(detect: model\)/);
    expect(trained.stdout).toMatch(/model version 1 \(active\): 8 labels, 240 examples/);
    const taxonomy = (await t.api({ method: "GET", url: "/api/taxonomy" })).json();
    expect(taxonomy.labels.map((l: { name: string }) => l.name)).toContain("refund_not_showing_up");
    expect(taxonomy.labels.every((l: { detect: string[] }) => l.detect.join() === "model")).toBe(true);

    const evaluated = await cli(["eval", "--data", TEST, "--json"]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    // Exactly one JSON object on stdout; logs (migrations) go to stderr.
    const report = JSON.parse(evaluated.stdout);
    expect(report).toMatchObject({
      mode: "active_model",
      model_version: 1,
      examples: 80,
      single_label: true,
    });
    expect(report.accuracy).toBeGreaterThan(0.7);
    for (const key of ["micro_f1", "macro_f1"]) expect(report[key]).toBeGreaterThan(0.5);
    expect(Object.keys(report.per_label)).toHaveLength(8);
    expect(report.per_label.card_arrival).toEqual({
      precision: expect.any(Number),
      recall: expect.any(Number),
      f1: expect.any(Number),
      support: 10,
    });
    expect(Array.isArray(report.confusions)).toBe(true);

    const listed = await cli(["model", "list", "--json"]);
    // The shape of GET /api/internal/models.
    expect(JSON.parse(listed.stdout)).toEqual({
      models: [
        expect.objectContaining({
          version: 1,
          active: true,
          examples: 240,
          sources: expect.objectContaining({ file: 240, file_name: "banking77-train.csv" }),
        }),
      ],
    });
  });

  it("labels new items with the active model, recording its version and the words that drove it", async () => {
    expect((await cli(["model", "train", "--data", TRAIN])).code).toBe(0);
    await t.api({
      method: "PUT",
      url: "/api/conversations/c-pin",
      payload: {
        subject: "PIN",
        messages: [
          { role: "customer", text: "How do I change the PIN of my card?" },
          { role: "agent", text: "Happy to help with that." },
        ],
      },
    });
    await t.api({
      method: "POST",
      url: "/api/notes/n-fx/versions",
      payload: { text: "Customer asks what exchange rate you use" },
    });
    await drain();
    const conversation = (await t.api({ method: "GET", url: "/api/conversations/c-pin" })).json();
    expect(conversation.labels).toEqual([
      expect.objectContaining({ name: "change_pin", source: "model", model_version: 1 }),
    ]);
    const [label] = conversation.labels;
    expect(label.confidence).toBeGreaterThan(0);
    expect(label.confidence).toBeLessThanOrEqual(1);
    expect(label.evidence.length).toBeGreaterThan(0);
    for (const e of label.evidence) {
      expect(e.rule).toBe("model");
      const text = e.field === "subject" ? "PIN" : "How do I change the PIN of my card?";
      expect(text.slice(e.start, e.end).toLowerCase()).toBe(e.pattern.toLowerCase());
    }
    const note = (await t.api({ method: "GET", url: "/api/notes/n-fx" })).json();
    expect(note.labels.map((l: { name: string }) => l.name)).toEqual(["exchange_rate"]);
    const history = (await t.api({ method: "GET", url: "/api/conversations/c-pin/labels/history" })).json();
    expect(history.items[0]).toMatchObject({ kind: "analysis", added: ["change_pin"], model_version: 1 });
  });

  it("combines rules and model per label, and honours a label's threshold", async () => {
    await t.api({
      method: "PUT",
      url: "/api/taxonomy",
      payload: {
        labels: [
          { name: "card_arrival", detect: ["rules", "model"], rules: { keywords: ["courier"] } },
          { name: "change_pin", detect: ["model"], threshold: 1 },
          { name: "exchange_rate", rules: { keywords: ["rate"] } },
        ],
      },
    });
    const train = await cli(["model", "train", "--data", TRAIN]);
    expect(train.code, train.stderr).toBe(0);
    const items = {
      "by-rule": "the courier has my parcel", // card_arrival by its rule
      "by-model": "my new card still has not arrived, where is it?", // card_arrival by the model
      pin: "How do I change the PIN of my card?", // change_pin: the threshold of 1 is never reached
      "rate-words": "what exchange rate do you use", // exchange_rate: rules only, and they match
    };
    for (const [id, text] of Object.entries(items)) {
      await t.api({
        method: "PUT",
        url: `/api/conversations/${id}`,
        payload: { messages: [{ role: "customer", text }] },
      });
    }
    await drain();
    const labels = async (id: string) =>
      (await t.api({ method: "GET", url: `/api/conversations/${id}` }))
        .json()
        .labels.map((l: { name: string; source: string }) => `${l.name}:${l.source}`);
    expect(await labels("by-rule")).toEqual(["card_arrival:rule"]);
    expect(await labels("by-model")).toEqual(["card_arrival:model"]);
    expect(await labels("pin")).toEqual([]);
    expect(await labels("rate-words")).toEqual(["exchange_rate:rule"]);
  });

  it("learns from labels people set, and versions models: list, activate", async () => {
    await t.api({
      method: "PUT",
      url: "/api/taxonomy",
      payload: {
        labels: [
          { name: "refund", detect: ["model"] },
          { name: "shipping", detect: ["model"] },
        ],
      },
    });
    const texts: [string, string][] = [
      ["r1", "please refund my money"],
      ["r2", "I want my money back"],
      ["r3", "refund the double charge"],
      ["s1", "where is my parcel"],
      ["s2", "the delivery is late"],
      ["s3", "my package never arrived"],
    ];
    for (const [id, text] of texts) {
      await t.api({
        method: "PUT",
        url: `/api/conversations/${id}`,
        payload: { messages: [{ role: "customer", text }] },
      });
      await t.api({
        method: "POST",
        url: `/api/conversations/${id}/labels`,
        payload: { name: id.startsWith("r") ? "refund" : "shipping" },
      });
    }
    const first = await cli(["model", "train"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /model version 1 \(active\): 2 labels, 6 examples \(taxonomy 0, by hand 6, file 0\)/,
    );
    const second = await cli(["model", "train", "--no-activate"]);
    expect(second.stdout).toMatch(/model version 2:/);
    const listed = (await t.api({ method: "GET", url: "/api/internal/models" })).json().models;
    expect(listed.map((m: { version: number; active: boolean }) => [m.version, m.active])).toEqual([
      [2, false],
      [1, true],
    ]);
    expect(listed[0].bytes).toBeGreaterThan(0);
    expect((await cli(["model", "activate", "2"])).code).toBe(0);
    const after = (await t.api({ method: "GET", url: "/api/internal/models" })).json().models;
    expect(after.map((m: { active: boolean }) => m.active)).toEqual([true, false]);
    const missing = await cli(["model", "activate", "9"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No model version 9/);
    // How often would the model have agreed with people?
    const people = await t.api({
      method: "POST",
      url: "/api/internal/labels/evaluate",
      payload: { people: true },
    });
    expect(people.statusCode, people.body).toBe(200);
    expect(people.json()).toMatchObject({ mode: "people", model_version: 2, examples: 6 });
  });

  it("evaluates over HTTP: the active model, cross-validation, and the errors", async () => {
    const examples = readExamples(TEST);
    const evaluate = (payload: object, token?: string) =>
      t.api({
        method: "POST",
        url: "/api/internal/labels/evaluate",
        payload,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    const none = await evaluate({ examples });
    expect(none.statusCode).toBe(409);
    expect(none.json().error.code).toBe("no_active_model");
    expect((await evaluate({ people: true }, INGEST_TOKEN)).statusCode).toBe(403);
    const cv = await evaluate({ examples: readExamples(TRAIN), folds: 3 });
    expect(cv.statusCode, cv.body).toBe(200);
    expect(cv.json()).toMatchObject({ mode: "cross_validation", examples: 240, single_label: true });
    expect(cv.json().accuracy).toBeGreaterThan(0.6);
    expect((await cli(["model", "train", "--data", TRAIN])).code).toBe(0);
    const scored = await evaluate({ examples });
    expect(scored.json()).toMatchObject({ mode: "active_model", model_version: 1, examples: 80 });
  });

  it("cross-validates multi-label data from the CLI", async () => {
    const r = await cli(["eval", "--data", NLUPP, "--folds", "3", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ mode: "cross_validation", examples: 209, single_label: false });
    expect(report.accuracy).toBeUndefined();
    expect(report.micro_f1).toBeGreaterThan(0.3);
  });

  it("refuses unusable data with one clear line", async () => {
    const none = await cli(["model", "train"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/relabel: A model needs examples of at least 2 labels/);
    const both = await cli(["eval", "--json"]);
    expect(both.stderr).toMatch(/Give either --data FILE or --people/);
    const folds = await cli(["eval", "--data", TRAIN, "--folds", "1"]);
    expect(folds.stderr).toMatch(/--folds must be a whole number from 2 to 10/);
    const missing = await cli(["eval", "--data", "/nonexistent/x.csv"]);
    expect(missing.stderr).toMatch(/x\.csv: cannot read it/);
  });
});
