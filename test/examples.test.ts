import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { syntheticItems } from "../bench/synthetic.js";
import {
  fill,
  ISSUE_TOPICS,
  mulberry32,
  NEUTRAL,
  SlotContext,
  type Template,
  TOPICS,
} from "../examples/phrases.js";
import { type AnalyzableItem, analyze } from "../src/analysis/rules.js";
import { compileTaxonomy } from "../src/analysis/taxonomy.js";
import { type ImportLine, importLine } from "../src/items/import.js";

/**
 * The examples (examples/taxonomy.yaml, examples/sample.ndjson, the phrase
 * banks they share with bench/synthetic.ts) stay consistent with each other
 * and with what relabel accepts. Pure: no database.
 */

const taxonomy = compileTaxonomy(
  parseYaml(readFileSync(new URL("../examples/taxonomy.yaml", import.meta.url), "utf8")),
  1,
);
const labelNames = taxonomy.labels.map((l) => l.name);

const labelsOf = (item: AnalyzableItem) => analyze(item, taxonomy).map((a) => a.name);
const asNote = (text: string): AnalyzableItem => ({ kind: "note", text });
const asMessage = (role: "customer" | "agent" | "system", text: string): AnalyzableItem => ({
  kind: "conversation",
  subject: "",
  messages: [{ role, text }],
});
const asSubject = (subject: string): AnalyzableItem => ({ kind: "conversation", subject, messages: [] });

function toItem(line: ImportLine): AnalyzableItem {
  if (line.type === "note") return asNote(line.text);
  return { kind: "conversation", subject: line.subject ?? "", messages: line.messages ?? [] };
}

/** Each template filled a few times, so slot values vary. */
function filled(templates: readonly Template[]): string[] {
  const texts: string[] = [];
  for (const t of templates) {
    for (let seed = 1; seed <= 4; seed++) texts.push(fill(t, new SlotContext(mulberry32(seed * 7919))).text);
  }
  return texts;
}

describe("examples/taxonomy.yaml", () => {
  it("compiles, with hierarchical names and every kind of rule", () => {
    expect(labelNames.length).toBeGreaterThanOrEqual(15);
    expect(labelNames.length).toBeLessThanOrEqual(25);
    const input = taxonomy.input.labels;
    expect(input.some((l) => l.rules.all_keywords.length > 0)).toBe(true);
    expect(input.some((l) => l.rules.none_keywords.length > 0)).toBe(true);
    expect(input.some((l) => l.rules.regex.length > 0)).toBe(true);
    for (const scope of ["customer", "agent", "subject"]) {
      expect(input.some((l) => l.rules.scope === scope)).toBe(true);
    }
  });

  it("every topic of the phrase banks is a label of the taxonomy", () => {
    for (const topic of TOPICS) {
      for (const label of topic.allowed) expect(labelNames).toContain(label);
    }
  });
});

describe("examples/phrases.ts", () => {
  it("each topic's lines trigger only the labels the topic allows, and its customer and note lines its own", () => {
    const problems: string[] = [];
    const check = (
      topic: (typeof TOPICS)[number],
      where: string,
      texts: string[],
      item: (t: string) => AnalyzableItem,
      mustHaveOwn: boolean,
    ) => {
      for (const text of texts) {
        const labels = labelsOf(item(text));
        const stray = labels.filter((l) => !topic.allowed.includes(l));
        if (stray.length > 0)
          problems.push(`${topic.label} ${where} ${JSON.stringify(text)}: also ${stray.join(", ")}`);
        if (mustHaveOwn && !labels.includes(topic.label))
          problems.push(`${topic.label} ${where} ${JSON.stringify(text)}: misses its own label`);
      }
    };
    for (const topic of TOPICS) {
      check(topic, "subject", filled(topic.subjects), asSubject, false);
      check(topic, "customer", filled(topic.customer), (t) => asMessage("customer", t), true);
      check(topic, "follow-up", filled(topic.followUps), (t) => asMessage("customer", t), false);
      check(topic, "agent", filled(topic.agent), (t) => asMessage("agent", t), false);
      check(topic, "note", filled(topic.notes), asNote, true);
      check(topic, "update", filled(topic.updates), asNote, false);
    }
    expect(problems).toEqual([]);
  });

  it("neutral lines trigger no label", () => {
    const problems: string[] = [];
    const check = (where: string, texts: string[], item: (t: string) => AnalyzableItem) => {
      for (const text of texts) {
        const labels = labelsOf(item(text));
        if (labels.length > 0) problems.push(`${where} ${JSON.stringify(text)}: ${labels.join(", ")}`);
      }
    };
    check("subject", filled(NEUTRAL.subjects), asSubject);
    for (const bank of [
      "customer",
      "customerFiller",
      "customerShort",
      "customerGreetings",
      "customerClosings",
    ] as const) {
      check(bank, filled(NEUTRAL[bank]), (t) => asMessage("customer", t));
    }
    for (const bank of ["agent", "agentFiller", "agentShort", "agentGreetings", "agentClosings"] as const) {
      check(bank, filled(NEUTRAL[bank]), (t) => asMessage("agent", t));
    }
    check("system", filled(NEUTRAL.system), (t) => asMessage("system", t));
    check("note", filled([...NEUTRAL.notes, ...NEUTRAL.noteUpdates]), asNote);
    expect(problems).toEqual([]);
  });

  it("every issue topic has what a conversation needs", () => {
    for (const topic of ISSUE_TOPICS) {
      expect(topic.subjects.length, topic.label).toBeGreaterThan(0);
      expect(topic.customer.length, topic.label).toBeGreaterThan(0);
      expect(topic.agent.length, topic.label).toBeGreaterThan(0);
    }
  });
});

describe("examples/sample.ndjson", () => {
  let text = "";
  let lines: ImportLine[] = [];
  beforeAll(() => {
    text = readFileSync(new URL("../examples/sample.ndjson", import.meta.url), "utf8");
    lines = text
      .split("\n")
      .filter((l) => l !== "")
      .map((l, i) => {
        const parsed = importLine.safeParse(JSON.parse(l));
        if (!parsed.success) throw new Error(`line ${i + 1}: ${parsed.error.message}`);
        return parsed.data;
      });
  });

  it("is a few hundred valid import lines, under 1 MB", () => {
    expect(text.endsWith("\n")).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThan(1_000_000);
    const conversations = lines.filter((l) => l.type === "conversation");
    const notes = new Set(lines.flatMap((l) => (l.type === "note" ? [l.note_id] : [])));
    expect(conversations.length).toBeGreaterThanOrEqual(200);
    expect(notes.size).toBeGreaterThanOrEqual(60);
    for (const c of conversations) {
      expect(c.subject).toBeTruthy();
      expect(c.messages?.length).toBeGreaterThanOrEqual(2);
      expect(c.messages?.length).toBeLessThanOrEqual(10);
      for (const m of c.messages ?? []) expect(Number.isNaN(Date.parse(String(m.at)))).toBe(false);
      expect(Date.parse(String(c.created_at))).toBeLessThanOrEqual(Date.parse(String(c.updated_at)));
    }
    expect(new Set(conversations.map((c) => c.fs_id)).size).toBe(conversations.length);
  });

  it("numbers each note's versions 1, 2, 3… in file order", () => {
    const latest = new Map<string, number>();
    let multi = 0;
    for (const line of lines) {
      if (line.type !== "note") continue;
      const previous = latest.get(line.note_id) ?? 0;
      expect(line.version, line.note_id).toBe(previous + 1);
      if (line.version === 2) multi++;
      latest.set(line.note_id, previous + 1);
    }
    expect(multi).toBeGreaterThanOrEqual(10);
  });

  it("puts every label of the taxonomy on some item, and none on more than 60% of them", () => {
    // Notes count once, as their latest version.
    const items = new Map<string, ImportLine>();
    for (const line of lines) items.set(line.type === "note" ? `n:${line.note_id}` : `c:${line.fs_id}`, line);
    const counts = new Map<string, number>(labelNames.map((n) => [n, 0]));
    let unlabeled = 0;
    for (const line of items.values()) {
      const labels = labelsOf(toItem(line));
      if (labels.length === 0) unlabeled++;
      for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    }
    const missing = [...counts].filter(([, n]) => n === 0).map(([l]) => l);
    expect(missing).toEqual([]);
    const common = [...counts].filter(([, n]) => n > items.size * 0.6).map(([l]) => l);
    expect(common).toEqual([]);
    expect(unlabeled).toBeGreaterThan(0);
  });
});

describe("bench/synthetic.ts", () => {
  const options = {
    count: 400,
    seed: 7,
    start: new Date("2026-01-01T00:00:00Z"),
    end: new Date("2026-03-01T00:00:00Z"),
  };

  it("is deterministic for a seed", () => {
    const a = JSON.stringify([...syntheticItems(options)]);
    expect(JSON.stringify([...syntheticItems(options)])).toBe(a);
    expect(JSON.stringify([...syntheticItems({ ...options, seed: 8 })])).not.toBe(a);
  });

  it("makes valid import lines of the planned shape", () => {
    const lines = [...syntheticItems(options)].map((l) => importLine.parse(JSON.parse(JSON.stringify(l))));
    const start = options.start.getTime();
    const end = options.end.getTime();
    const versions = new Map<string, number>();
    let items = 0;
    const labelCounts: number[] = [];
    for (const line of lines) {
      if (line.type === "conversation") {
        items++;
        expect(line.fs_id).toMatch(/^syn-c-\d{6,}$/);
        const messages = line.messages ?? [];
        expect(messages.length).toBeGreaterThanOrEqual(2);
        expect(messages.length).toBeLessThanOrEqual(20);
        // Words of the planned text; an email's greetings and sign-offs come on top.
        const words = messages.reduce((n, m) => n + m.text.split(/\s+/).filter(Boolean).length, 0);
        expect(words).toBeGreaterThanOrEqual(50);
        expect(words).toBeLessThanOrEqual(400 + 8 * messages.length);
        const created = Date.parse(String(line.created_at));
        const updated = Date.parse(String(line.updated_at));
        expect(created).toBeGreaterThanOrEqual(start);
        expect(updated).toBeLessThanOrEqual(end);
        expect(created).toBeLessThanOrEqual(updated);
        for (const m of messages) {
          const at = Date.parse(String(m.at));
          expect(at).toBeGreaterThanOrEqual(created);
          expect(at).toBeLessThanOrEqual(updated);
        }
        labelCounts.push(labelsOf(toItem(line)).length);
      } else {
        expect(line.note_id).toMatch(/^syn-n-\d{6,}$/);
        const previous = versions.get(line.note_id) ?? 0;
        if (previous === 0) items++;
        expect(line.version).toBe(previous + 1);
        versions.set(line.note_id, previous + 1);
        const created = Date.parse(String(line.created_at));
        expect(created).toBeGreaterThanOrEqual(start);
        expect(created).toBeLessThanOrEqual(end);
      }
    }
    expect(items).toBe(options.count);
    expect(Math.max(...versions.values())).toBeGreaterThan(1);
    expect(Math.max(...versions.values())).toBeLessThanOrEqual(5);
    // Mostly 0–4 labels per conversation.
    expect(labelCounts.filter((n) => n <= 4).length / labelCounts.length).toBeGreaterThan(0.95);
    expect(labelCounts.filter((n) => n === 0).length).toBeGreaterThan(0);
  });
});
