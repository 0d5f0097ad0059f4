import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { canonicalKey } from "../../src/pubsub/topic.js";
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

const TOPIC = "conversation_note_analysis";

interface DeadLetter {
  id: number;
  topic: string;
  key: Record<string, unknown>;
  attempts: number;
  last_error: string | null;
}

async function deadLetters(a: AppInBrowser): Promise<DeadLetter[]> {
  return (await a.t.api({ method: "GET", url: "/api/internal/pubsub/dead-letters" })).json().items;
}

async function stateOf(a: AppInBrowser, id: number): Promise<string | undefined> {
  const row = await a.t.database.db
    .selectFrom("messages")
    .select("state")
    .where("id", "=", id)
    .executeTakeFirst();
  return row?.state;
}

/** Dead letters as a runner leaves them: attempts used up, the last error kept. */
async function insertDeadLetters(a: AppInBrowser, errors: string[]): Promise<void> {
  const now = Date.now();
  await a.t.database.db
    .insertInto("messages")
    .values(
      errors.map((error, i) => ({
        topic: TOPIC,
        // Conversations not stored: redriven, nothing is pending for them already, so none is folded.
        key: canonicalKey({ conversation_fs_id: `c-dead-${i}` }),
        data: "{}",
        state: "failed" as const,
        priority: 0,
        attempts: 5,
        max_attempts: 5,
        run_at: now,
        lease_token: null,
        lease_expires_at: null,
        last_error: error,
        created_at: now - 60_000,
        finished_at: now,
      })),
    )
    .execute();
}

async function rowOf(page: Page, id: number) {
  return page.locator(`.dead-letters tr[data-id="${id}"]`);
}

describeBrowser.each(BACKENDS)("the Queues page on %s", (backend) => {
  let a: AppInBrowser;
  beforeAll(async () => {
    // No runners: the counts hold still, and redriven letters stay pending where the test can see them.
    a = await openApp(backend, { runners: false });
    await insertDeadLetters(a, [
      "analyzer crashed: out of memory",
      "<b>not bold</b> <img src=x onerror=alert(1)>",
      "timeout after 30 s",
      "lease expired 10 times",
    ]);
  }, 60_000);
  afterAll(() => a?.close());

  it("shows each topic's counts as the API does", async () => {
    await a.page.goto(`${a.origin}/queues`);
    await expectSoundPage(a.page, "Queues");
    const { topics } = (await a.t.api({ method: "GET", url: "/api/internal/pubsub/topics" })).json();
    expect(topics.length).toBeGreaterThan(0);
    for (const t of topics) {
      const row = a.page.locator(`.queues-topics tr[data-topic="${t.topic}"]`);
      await row.waitFor();
      expect(await row.locator('[data-count="pending"]').textContent()).toBe(
        t.pending.toLocaleString("en-US"),
      );
      expect(await row.locator('[data-count="running"]').textContent()).toBe(String(t.running));
      expect(await row.locator('[data-count="failed"]').textContent()).toContain(String(t.failed));
    }
  });

  it("lists dead letters with the API's key, attempts and error, and redrives one, several, then all", async () => {
    await a.page.goto(`${a.origin}/queues`);
    const letters = await deadLetters(a);
    expect(letters).toHaveLength(4);
    for (const l of letters) {
      const row = await rowOf(a.page, l.id);
      await row.waitFor();
      expect(await row.locator('[data-field="key"]').textContent()).toBe(JSON.stringify(l.key));
      expect(await row.locator('[data-field="attempts"]').textContent()).toBe(String(l.attempts));
      expect(await row.locator('[data-field="last_error"]').textContent()).toBe(l.last_error);
    }
    // Hostile text in an error is text: no element made of it.
    expect(await a.page.locator(".dead-letters img, .dead-letters b").count()).toBe(0);
    await expectSoundPage(a.page, "Queues");
    await screenshot(a.page, "queues");
    const [one, two, three, four] = letters.map((l) => l.id) as [number, number, number, number];

    // One, from its row.
    await a.page.getByRole("button", { name: `Redrive dead letter ${one}`, exact: true }).click();
    await (await rowOf(a.page, one)).waitFor({ state: "detached" });
    await a.page.getByRole("status").getByText("1 put back to pending").waitFor();
    expect(await stateOf(a, one)).toBe("pending");
    expect((await deadLetters(a)).map((l) => l.id)).toEqual([two, three, four]);

    // Several, by their checkboxes.
    await a.page.getByLabel(`Select dead letter ${two}`, { exact: true }).check();
    await a.page.getByLabel(`Select dead letter ${three}`, { exact: true }).check();
    await a.page.getByRole("button", { name: "Redrive selected (2)" }).click();
    await (await rowOf(a.page, three)).waitFor({ state: "detached" });
    expect([await stateOf(a, two), await stateOf(a, three)]).toEqual(["pending", "pending"]);
    expect((await deadLetters(a)).map((l) => l.id)).toEqual([four]);

    // All, after the confirmation.
    await a.page.getByRole("button", { name: "Redrive all" }).click();
    await a.page
      .getByRole("dialog", { name: "Redrive all" })
      .getByRole("button", { name: "Redrive all" })
      .click();
    await a.page.locator("[data-empty]").waitFor();
    expect(await stateOf(a, four)).toBe("pending");
    expect(await deadLetters(a)).toEqual([]);
    const { topics } = (await a.t.api({ method: "GET", url: "/api/internal/pubsub/topics" })).json();
    const analysis = topics.find((t: { topic: string }) => t.topic === TOPIC);
    expect(analysis.failed).toBe(0);
    await expect
      .poll(() =>
        a.page.locator(`.queues-topics tr[data-topic="${TOPIC}"] [data-count="pending"]`).textContent(),
      )
      .toBe(analysis.pending.toLocaleString("en-US"));
    expect(a.pageErrors).toEqual([]);
  });

  it("shows an ingest token why there is nothing for it", async () => {
    const page = await (await a.browser.newContext()).newPage();
    await signIn(page, a.origin, INGEST_TOKEN);
    await page.goto(`${a.origin}/queues`);
    await page.locator("[data-admin-only]").waitFor();
    expect(await page.getByRole("table").count()).toBe(0);
    await expectSoundPage(page, "Queues");
    await page.close();
  });
});
