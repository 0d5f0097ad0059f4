/**
 * Microbenchmark of the rules analyzer: items per second on one core, for
 * ~1 KB and ~20 KB conversations against synthetic taxonomies of 50 and 500
 * labels. Everything is generated from a seeded PRNG, so runs compare.
 *
 *   npx tsx bench/analyzer.bench.ts [seconds per cell, default 3]
 */

import { mulberry32 } from "../examples/phrases.js";
import { type AnalyzableItem, analyze } from "../src/analysis/rules.js";
import { type CompiledTaxonomy, compileTaxonomy } from "../src/analysis/taxonomy.js";

const SECONDS = Number(process.argv[2] ?? 3);
const ROUNDS = 3;

const prng = mulberry32;

type Random = () => number;
const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

const FILLER = (
  "the a an and or but so to of in on for with at by from my your our this that it is was be have has " +
  "had do did not can could would should will please thanks thank hi hello hey again still just also " +
  "when what why how where there here then now today yesterday week month time since after before " +
  "i you we they me us them he she customer team support agent help issue problem question update"
).split(" ");
const DOMAIN = (
  "refund charge charged twice invoice billing payment card subscription plan upgrade downgrade cancel " +
  "account login password reset email verify locked access app crash crashes error bug slow loading " +
  "update version android ios browser chrome safari order shipping delivery package tracking late " +
  "damaged return exchange warranty address discount coupon code trial price tax receipt bank " +
  "transfer paypal export import data sync notification settings profile delete privacy gdpr " +
  "security twofactor api integration webhook token limit quota outage downtime status report " +
  "feature request feedback complaint manager escalate urgent priority contract enterprise renewal"
).split(" ");
const AREAS = ["billing", "account", "tech", "shipping", "product", "sales", "security", "feedback"];

/** A taxonomy whose labels look like real ones: a few keywords, some phrases, some regexes. */
function syntheticTaxonomy(size: number, random: Random, withRegex: boolean): unknown {
  const labels = [];
  for (let i = 0; i < size; i++) {
    const word = () => pick(random, DOMAIN);
    const keywords = Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
      random() < 0.3 ? `${word()} ${word()}` : `${word()}${i % 7 === 0 ? "" : `-${i}`}`,
    );
    // Drawn either way, so that both variants have the same keywords.
    const regex =
      random() < 0.3
        ? [
            pick(random, [
              `${word()}\\s+${word()}`,
              `${word()}(?:s|ed|ing)\\b`,
              `${word()}\\s*#?\\d{3,}`,
              `(?:${word()}|${word()})\\s+${word()}`,
            ]),
          ]
        : [];
    labels.push({
      name: `${pick(random, AREAS)}/topic-${i}`,
      applies_to: random() < 0.8 ? ["conversation", "note"] : [pick(random, ["conversation", "note"])],
      rules: {
        keywords,
        all_keywords: random() < 0.15 ? [word(), word()] : [],
        none_keywords: random() < 0.2 ? [`${word()} ${word()}`] : [],
        regex: withRegex ? regex : [],
        scope: pick(random, ["any", "any", "any", "customer", "agent", "subject"]),
      },
    });
  }
  return { labels };
}

function sentence(random: Random): string {
  const words: string[] = [];
  for (let n = 5 + Math.floor(random() * 12); n > 0; n--) {
    const r = random();
    if (r < 0.12) words.push(pick(random, DOMAIN));
    else if (r < 0.14) words.push(`#${Math.floor(random() * 1e6)}`);
    else words.push(pick(random, FILLER));
  }
  const text = words.join(" ");
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}${pick(random, [".", ".", "?", "!"])}`;
}

/** A conversation of about `bytes` characters: a subject, then customer and agent taking turns. */
function syntheticConversation(bytes: number, random: Random): AnalyzableItem {
  const messages: { role: "customer" | "agent" | "system"; text: string }[] = [];
  let size = 0;
  while (size < bytes) {
    const sentences = [];
    for (let n = 1 + Math.floor(random() * 4); n > 0; n--) sentences.push(sentence(random));
    const text = sentences.join(" ");
    const role = random() < 0.05 ? "system" : messages.length % 2 === 0 ? "customer" : "agent";
    messages.push({ role, text });
    size += text.length;
  }
  return { kind: "conversation", subject: sentence(random), messages };
}

interface Cell {
  itemsPerSecond: number;
  mbPerSecond: number;
  labelsPerItem: number;
}

/** Items per second, the best of ROUNDS rounds: other work on the machine only ever slows a round down. */
function measure(items: AnalyzableItem[], taxonomy: CompiledTaxonomy): Cell {
  const chars = items.map((item) =>
    item.kind === "note"
      ? item.text.length
      : item.messages.reduce((n, m) => n + m.text.length, item.subject.length),
  );
  let labels = 0;
  for (const item of items) labels += analyze(item, taxonomy).length; // also warms up
  let best = { itemsPerSecond: 0, mbPerSecond: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    let done = 0;
    let bytes = 0;
    const started = performance.now();
    const until = started + (SECONDS * 1000) / ROUNDS;
    while (performance.now() < until) {
      for (let i = 0; i < items.length; i++) {
        analyze(items[i] as AnalyzableItem, taxonomy);
        bytes += chars[i] as number;
      }
      done += items.length;
    }
    const seconds = (performance.now() - started) / 1000;
    if (done / seconds > best.itemsPerSecond)
      best = { itemsPerSecond: done / seconds, mbPerSecond: bytes / seconds / 1e6 };
  }
  return { ...best, labelsPerItem: labels / items.length };
}

const rows: string[][] = [];
for (const size of [50, 500]) {
  for (const withRegex of [true, false]) {
    const compileStart = performance.now();
    const taxonomy = compileTaxonomy(syntheticTaxonomy(size, prng(size), withRegex), 1);
    const compileMs = performance.now() - compileStart;
    const regexes = taxonomy.labels.reduce((n, label) => n + label.regex.length, 0);
    for (const bytes of [1_000, 20_000]) {
      const random = prng(bytes);
      const generated = Array.from({ length: bytes < 10_000 ? 2000 : 200 }, () =>
        syntheticConversation(bytes, random),
      );
      // As if read from the database: flat strings, not the concatenations that built them.
      const items = JSON.parse(JSON.stringify(generated)) as AnalyzableItem[];
      const cell = measure(items, taxonomy);
      rows.push([
        String(size),
        String(regexes),
        `${bytes / 1000} KB`,
        Math.round(cell.itemsPerSecond).toLocaleString("en-US"),
        cell.mbPerSecond.toFixed(1),
        cell.labelsPerItem.toFixed(1),
        compileMs.toFixed(0),
      ]);
    }
  }
}

const header = ["labels", "regexes", "item", "items/s", "MB/s", "labels/item", "compile ms"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] as number)).join("  ");
console.log(
  `rules analyzer, one core, best of ${ROUNDS} rounds in ${SECONDS}s per cell (target: >= 50,000 items/s for 1 KB x 50 labels)`,
);
console.log(line(header));
for (const row of rows) console.log(line(row));

// What the tests only bound loosely (src/analysis/regex.test.ts, rules.test.ts, taxonomy.property.test.ts:
// that time stays linear, counted in searches): how long the catastrophic-backtracking patterns take
// on 50,000 characters of 'a' and a mismatch at the end, as a note and as a conversation.
const CATASTROPHIC = ["(a+)+$", "(x+x+)+y", "(a|aa)+c", "(.*a){12}", "^(\\w+\\s?)+$"];
const adversarial = `${"a".repeat(50_000)}b`;
const catastrophic = compileTaxonomy(
  { labels: CATASTROPHIC.map((source, i) => ({ name: `c${i}`, rules: { regex: [source] } })) },
  1,
);
const adversarialItems: AnalyzableItem[] = [
  { kind: "note", text: adversarial },
  { kind: "conversation", subject: "", messages: [{ role: "customer", text: adversarial }] },
];
let bestMs = Number.POSITIVE_INFINITY;
for (let round = 0; round < ROUNDS; round++) {
  const started = performance.now();
  for (const item of adversarialItems) analyze(item, catastrophic);
  bestMs = Math.min(bestMs, performance.now() - started);
}
console.log(
  `\ncatastrophic patterns (${CATASTROPHIC.join("  ")}) on 50,000 characters, as a note and a conversation: ` +
    `${bestMs.toFixed(0)} ms, best of ${ROUNDS}`,
);
