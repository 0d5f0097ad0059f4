import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { EvalReport, Example } from "../src/classifier/index.js";
import { AppError } from "../src/errors.js";
import { readExamples } from "../src/models/data.js";
import { runEvaluation } from "../src/models/evaluation.js";
import { runJob } from "../src/models/evaluation-job.js";
import { EvaluationThreads } from "../src/models/evaluation-threads.js";
import { trainModel } from "../src/models/training.js";
import { freshApp, TEST_TOKEN, type TestApp } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";
import { sleep } from "./helpers/processes.js";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const TRAIN = readExamples(fixture("banking77-train.csv"));
const TEST = readExamples(fixture("banking77-test.csv"));

/**
 * 3,600 examples: the 240 fixture rows 15 times, each copy with a few words
 * of another row appended, so no two texts are alike. With 10 folds this is
 * several seconds of CPU (3.7 s on the 2-core development machine), all of
 * which blocked the event loop before evaluations moved to a thread.
 */
function heavyExamples(): Example[] {
  const examples: Example[] = [];
  for (let copy = 0; copy < 15; copy++) {
    TRAIN.forEach((e, i) => {
      const other = TRAIN[(i * 7 + copy * 31) % TRAIN.length] as Example;
      const tail = other.text
        .split(" ")
        .slice(0, 3 + (copy % 4))
        .join(" ");
      examples.push({ text: `${e.text} ${tail}`, labels: e.labels });
    });
  }
  return examples;
}
const HEAVY = { examples: heavyExamples(), folds: 10 };

// The same job inline, to compare with the thread's report (seeded: a cross-validation is deterministic),
// and how long it takes on this machine at this load: what a caller waits if nothing stops it.
let inlineHeavy: EvalReport;
let inlineHeavyMs: number;
beforeAll(() => {
  const started = performance.now();
  inlineHeavy = runJob({ kind: "cross_validation", ...HEAVY });
  inlineHeavyMs = performance.now() - started;
});

/**
 * "Promptly" is measured against the heavy evaluation itself, so a loaded machine moves both:
 * what waits for a thread that is stopped (or for an event loop it does not block) takes a
 * small part of the seconds that waiting for the evaluation would take.
 */
const promptly = () => inlineHeavyMs / 2;

// A cross-validation reads nothing from the database, so one backend is
// enough here; the modes that read it run on both below.
describe("evaluation off the event loop", () => {
  it("answers /healthz promptly over real HTTP while a heavy cross-validation runs, with the inline result", async () => {
    const t = await freshApp("sqlite");
    try {
      const origin = await t.app.listen({ port: 0, host: "127.0.0.1" });
      const evaluation = fetch(`${origin}/api/internal/labels/evaluate`, {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(HEAVY),
      }).then(async (res) => ({ status: res.status, body: await res.json() }));
      const started = performance.now();
      let evaluationMs = 0;
      let done = false;
      void evaluation.finally(() => {
        done = true;
        evaluationMs = performance.now() - started;
      });
      // Probe the whole time the evaluation runs. The probes share this
      // process's event loop with the server, so a blocked loop delays the
      // timer that sends a probe as much as its answer: each probe's wait is
      // counted from when it was due (25 ms after the last answer) to its answer.
      const waits: number[] = [];
      let due = performance.now();
      while (!done) {
        const res = await fetch(`${origin}/healthz`);
        expect(res.status).toBe(200);
        await res.text();
        const answered = performance.now();
        waits.push(answered - due);
        due = answered + 25;
        await sleep(25);
      }
      const { status, body } = await evaluation;
      expect(status, JSON.stringify(body)).toBe(200);
      // Blocked, one probe would wait for (nearly) the whole evaluation. Measured against it, so
      // a loaded machine, which slows both, does not fail it (an idle one answers in ms).
      expect(Math.max(...waits)).toBeLessThan(evaluationMs / 4);
      // The evaluation ran long enough for many probes: they measured something.
      expect(waits.length).toBeGreaterThan(10);
      expect(body).toEqual({ ...inlineHeavy, mode: "cross_validation" });
    } finally {
      await t.cleanup();
    }
  });
});

describe.each(BACKENDS)("evaluation in a thread reads the database on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend);
  });
  afterEach(() => t.cleanup());

  it("scores the active model and people's labels in the thread, as inline", async () => {
    await trainModel(t.database, { file: { name: "train.csv", examples: TRAIN } });
    for (const [id, text, label] of [
      ["p1", "How do I change the PIN of my card?", "change_pin"],
      ["p2", "my new card still has not arrived", "card_arrival"],
      ["p3", "what exchange rate do you use", "exchange_rate"],
    ] as const) {
      await t.api({
        method: "PUT",
        url: `/api/conversations/${id}`,
        payload: { messages: [{ role: "customer", text }] },
      });
      const labeled = await t.api({
        method: "POST",
        url: `/api/conversations/${id}/labels`,
        payload: { name: label },
      });
      expect(labeled.statusCode, labeled.body).toBeLessThan(300);
    }
    for (const request of [{ examples: TEST }, { people: true as const }]) {
      const res = await t.api({ method: "POST", url: "/api/internal/labels/evaluate", payload: request });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual(await runEvaluation(t.database.db, request));
    }
  });
});

describe("evaluation limits", () => {
  const job = { kind: "cross_validation", ...HEAVY } as const;
  const code = (promise: Promise<unknown>) =>
    promise.then(
      () => "fulfilled",
      (err: unknown) => (err instanceof AppError ? err.code : String(err)),
    );

  it("refuses beyond the queue, and stops everything when closed", async () => {
    const threads = new EvaluationThreads({ running: 1, queued: 1 });
    const running = code(threads.evaluate(job));
    const waiting = code(threads.evaluate(job));
    expect(await code(threads.evaluate(job))).toBe("evaluation_unavailable");
    const started = performance.now();
    await threads.close();
    expect(await running).toBe("evaluation_unavailable");
    expect(await waiting).toBe("evaluation_unavailable");
    expect(performance.now() - started).toBeLessThan(promptly());
    expect(await code(threads.evaluate(job))).toBe("evaluation_unavailable");
  });

  it("stops an evaluation that outlives its bound, and frees its place", async () => {
    // No queue: a place not freed would refuse the next job as unavailable.
    const threads = new EvaluationThreads({ running: 1, queued: 0, timeoutMs: 300 });
    const started = performance.now();
    const err = await threads.evaluate(job).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("evaluation_too_long");
    expect((err as AppError).message).toMatch(/took longer than 300 ms and was stopped/);
    const stoppedMs = performance.now() - started;
    expect(stoppedMs).toBeGreaterThanOrEqual(295);
    expect(stoppedMs).toBeLessThan(Math.max(promptly(), 300 + 1_000));
    expect(await code(threads.evaluate(job))).toBe("evaluation_too_long");
    await threads.close();
  });

  it("lets a caller that gives up leave, running or waiting", async () => {
    const threads = new EvaluationThreads({ running: 1, queued: 1 });
    const first = new AbortController();
    const second = new AbortController();
    const running = code(threads.evaluate(job, first.signal));
    const waiting = code(threads.evaluate(job, second.signal));
    second.abort();
    expect(await waiting).toBe("evaluation_unavailable");
    first.abort();
    expect(await running).toBe("evaluation_unavailable");
    // Both places are free again: a small job runs at once.
    const small = { kind: "cross_validation", examples: TRAIN, folds: 2 } as const;
    expect((await threads.evaluate(small)).examples).toBe(TRAIN.length);
    await threads.close();
  });

  it("stops the evaluation of a client that disconnects, so the next one starts at once", async () => {
    const t = await freshApp("sqlite");
    try {
      const origin = await t.app.listen({ port: 0, host: "127.0.0.1" });
      const post = (body: object, signal?: AbortSignal) =>
        fetch(`${origin}/api/internal/labels/evaluate`, {
          method: "POST",
          headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: signal ?? null,
        });
      const gaveUp = await post(HEAVY, AbortSignal.timeout(500)).catch((err: Error) => err.name);
      expect(gaveUp).toBe("TimeoutError");
      // Had the heavy one kept its thread (seconds more), this small one would wait for it.
      const started = performance.now();
      const res = await post({ examples: TRAIN, folds: 2 });
      expect(res.status).toBe(200);
      expect(performance.now() - started).toBeLessThan(promptly());
    } finally {
      await t.cleanup();
    }
  });

  it("answers 503 evaluation_unavailable over HTTP when the queue is full", async () => {
    const t = await freshApp("sqlite");
    try {
      const post = () => t.api({ method: "POST", url: "/api/internal/labels/evaluate", payload: HEAVY });
      // One runs, four wait: of six at once, whichever comes last is refused at once (no sleep
      // to guess when the others have their places: on a loaded machine that takes its time).
      const posted = Array.from({ length: 6 }, post);
      const first = await Promise.race(posted.map((res, i) => res.then((r) => ({ r, i }))));
      const refused = first.r;
      expect(refused.statusCode).toBe(503);
      expect(refused.json().error).toMatchObject({
        code: "evaluation_unavailable",
        message: expect.stringMatching(/retry/),
      });
      const accepted = posted.filter((_, i) => i !== first.i);
      // Closing the server stops them all: 503, not a wait of 5 × 4 s.
      await t.app.close();
      for (const res of await Promise.all(accepted)) {
        expect(res.statusCode).toBe(503);
        expect(res.json().error.message).toMatch(/stopping/);
      }
    } finally {
      await t.cleanup();
    }
  });
});
