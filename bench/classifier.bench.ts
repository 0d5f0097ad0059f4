/**
 * The text classifier (src/classifier) against its targets, on one core:
 *
 * - banking77 train.csv (77 intents, single-label): 5-fold cross-validation
 *   accuracy and micro/macro F1;
 * - NLU++ banking folds 0–9 (48 intents, multi-label): 5-fold
 *   cross-validation micro-F1 over all of them pooled, and its spread over
 *   five seeds (the data are small: the split alone moves it by ±0.006);
 * - on the full banking77 train set: training time, peak RSS after training,
 *   serialized size, and classification speed (top() and predict()).
 *
 *   npx tsx bench/classifier.bench.ts [--quick] [--data-dir DIR] [--seed N]
 *
 * --quick cross-validates on every third banking77 row instead of all of
 * them (the timings still use the full set). Data default: /work/shared/data.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { crossValidate, type EvalReport, type Example, TextClassifier } from "../src/classifier/index.js";

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}
const QUICK = process.argv.includes("--quick");
const DATA = option("--data-dir") ?? "/work/shared/data";
const SEED = Number(option("--seed") ?? 1);

/** RFC 4180: quoted fields may hold commas, newlines and doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function banking77(): Example[] {
  const [header, ...rows] = parseCsv(readFileSync(join(DATA, "banking77", "train.csv"), "utf8"));
  if (header?.[0] !== "text" || header[1] !== "category") throw new Error("banking77: unexpected CSV header");
  return rows
    .filter((r) => r.length === 2)
    .map(([text, category]) => ({ text: text as string, labels: [category as string] }));
}

function nluPlusPlus(): Example[] {
  const examples: Example[] = [];
  for (let fold = 0; fold < 10; fold++) {
    const rows = JSON.parse(readFileSync(join(DATA, "nlupp-banking", `fold${fold}.json`), "utf8")) as {
      text: string;
      intents?: string[];
    }[];
    for (const row of rows) examples.push({ text: row.text, labels: row.intents ?? [] });
  }
  return examples;
}

const pct = (x: number | undefined) => (x === undefined ? "-" : `${(100 * x).toFixed(2)} %`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function summary(name: string, report: EvalReport, ms: number): void {
  console.log(
    `\n${name}: ${report.examples} examples, ${Object.keys(report.per_label).length} labels, ${seconds(ms)}`,
  );
  if (report.accuracy !== undefined) console.log(`  accuracy  ${pct(report.accuracy)}`);
  console.log(`  micro-F1  ${report.micro_f1.toFixed(4)}`);
  console.log(`  macro-F1  ${report.macro_f1.toFixed(4)}`);
  const worst = Object.entries(report.per_label)
    .filter(([, m]) => m.support > 0)
    .sort((a, b) => a[1].f1 - b[1].f1)
    .slice(0, 3)
    .map(([label, m]) => `${label} ${m.f1.toFixed(2)}`);
  console.log(`  weakest   ${worst.join(", ")}`);
  const confusions = report.confusions.slice(0, 3).map((c) => `${c.actual} → ${c.predicted} (${c.count})`);
  console.log(`  confused  ${confusions.join(", ")}`);
}

const b77 = banking77();
const nlu = nluPlusPlus();
console.log(
  `data: ${DATA} (banking77 ${b77.length} rows, NLU++ ${nlu.length} rows), seed ${SEED}${QUICK ? ", quick" : ""}`,
);

// Training first, so that the peak RSS is that of training.
let wall = performance.now();
const cpu = cpuMs();
const model = TextClassifier.train(b77, { seed: SEED });
const trainWall = performance.now() - wall;
const trainCpu = cpuMs() - cpu;
const trainRss = process.resourceUsage().maxRSS / 1024;
wall = performance.now();
const bytes = model.serialize();
const serializeMs = performance.now() - wall;
wall = performance.now();
TextClassifier.deserialize(bytes);
const deserializeMs = performance.now() - wall;

const texts = b77.map((e) => e.text);
for (const text of texts.slice(0, 2000)) model.predict(text); // warm-up
function rate(fn: (text: string) => unknown, passes: number): number {
  const start = performance.now();
  for (let pass = 0; pass < passes; pass++) for (const text of texts) fn(text);
  return (passes * texts.length) / ((performance.now() - start) / 1000);
}
const topRate = rate((t) => model.top(t), 3);
const predictRate = rate((t) => model.predict(t), 2);

console.log("\nfull banking77 train set");
console.log(
  `  train            ${seconds(trainWall)} wall, ${seconds(trainCpu)} CPU (${model.info.features} features)`,
);
console.log(`  peak RSS         ${trainRss.toFixed(0)} MB after training`);
console.log(
  `  model            ${(bytes.length / 1024).toFixed(0)} KiB serialized (${serializeMs.toFixed(0)} ms; load ${deserializeMs.toFixed(0)} ms)`,
);
console.log(
  `  classification   top() ${topRate.toFixed(0)} items/s, predict() ${predictRate.toFixed(0)} items/s`,
);

wall = performance.now();
const cvData = QUICK ? b77.filter((_, i) => i % 3 === 0) : b77;
summary("banking77 5-fold CV", crossValidate(cvData, 5, { seed: SEED }), performance.now() - wall);
wall = performance.now();
const nluReport = crossValidate(nlu, 5, { seed: SEED });
summary("NLU++ banking 5-fold CV", nluReport, performance.now() - wall);
const micro = [nluReport.micro_f1];
for (let seed = SEED + 1; seed < SEED + 5; seed++) micro.push(crossValidate(nlu, 5, { seed }).micro_f1);
const mean = micro.reduce((sum, x) => sum + x, 0) / micro.length;
console.log(
  `  over seeds ${SEED}–${SEED + 4}: ${micro.map((x) => x.toFixed(4)).join(" ")} (mean ${mean.toFixed(4)})`,
);
console.log(`\npeak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB overall`);
