/**
 * Seeded synthetic data for benchmarks and big tests: conversations and note
 * versions in the `relabel import` line format, written from the phrase banks
 * of examples/phrases.ts, so that examples/taxonomy.yaml gives ~99% of items
 * 0–4 labels. The same options always give the same lines.
 *
 *   npx tsx bench/synthetic.ts --items 1000000 --seed 42 [--days 365] [--end 2026-11-24T00:00:00Z]
 *     [--note-share 0.25] [--workers N] > out.ndjson
 *
 * `--items` counts items: a conversation is one line, a note one line per
 * version (1–5). Timestamps fall in the `--days` before `--end` (default
 * 2026-11-24T00:00:00Z, fixed so that runs compare; `--end now` for today).
 *
 * Items come in blocks of 1,000, each from its own seeded PRNG, and an item's
 * id is its position (`syn-c-000001`, `syn-n-000002`, …), so any block can be
 * made on its own: `--workers` threads (default: up to 4 cores from 20,000
 * items on, else 1) make blocks in parallel, and the output is the same
 * whatever their number.
 */
import { once } from "node:events";
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import {
  type Channel,
  chooseNoteTopics,
  chooseTopics,
  composeConversation,
  composeNote,
  mulberry32,
  pick,
  type Random,
  type Role,
  weighted,
} from "../examples/phrases.js";

export interface SyntheticOptions {
  /** Items: conversations plus notes (a note's versions are one item). */
  count: number;
  seed: number;
  start: Date;
  end: Date;
  /** Share of items that are notes; 0.25 unless given. */
  noteShare?: number;
}

export interface SyntheticConversation {
  type: "conversation";
  fs_id: string;
  subject: string;
  messages: { role: Role; text: string; at: string }[];
  metadata: { channel: Channel; plan: string; locale: string };
  created_at: string;
  updated_at: string;
}

export interface SyntheticNoteVersion {
  type: "note";
  note_id: string;
  version: number;
  text: string;
  created_at: string;
}

export type SyntheticLine = SyntheticConversation | SyntheticNoteVersion;

const BLOCK = 1000;
const CHANNELS: readonly Channel[] = ["email", "chat", "phone"];
const CHANNEL_WEIGHTS = [45, 40, 15];
const VERSION_WEIGHTS = [45, 25, 15, 10, 5];
const LOCALES = ["en-US", "en-GB", "en-IE", "en-CA", "en-AU"];
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MIN_WORDS = 50;
const MAX_WORDS = 400;

// toISOString is a large share of the work at up to 20 timestamps an item:
// the date part is cached per day, the time put together from a table.
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));
const dayPrefixes = new Map<number, string>();

/** `YYYY-MM-DDTHH:MM:SSZ`, to the second. */
export function isoSeconds(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const day = Math.floor(seconds / 86_400);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    if (dayPrefixes.size > 100_000) dayPrefixes.clear();
    prefix = new Date(day * DAY).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  const s = seconds - day * 86_400;
  return `${prefix}${TWO_DIGITS[Math.floor(s / 3600)]}:${TWO_DIGITS[Math.floor((s % 3600) / 60)]}:${TWO_DIGITS[s % 60]}Z`;
}

const pad6 = (n: number) => String(n).padStart(6, "0");

/** How long a conversation lasts, by channel: minutes for chat and phone, hours to days by email. */
function duration(random: Random, channel: Channel): number {
  if (channel === "email") return HOUR + random() * 4 * DAY;
  if (channel === "chat") return 3 * MINUTE + random() * 90 * MINUTE;
  return 4 * MINUTE + random() * 40 * MINUTE;
}

/** The PRNG of one block: its seed mixes the run's seed and the block's number. */
function blockRandom(seed: number, block: number): Random {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(block + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  return mulberry32(h ^ (h >>> 15));
}

/** The lines of items [block × 1000, block × 1000 + 1000), in order. */
function* blockLines(options: SyntheticOptions, block: number): Generator<SyntheticLine> {
  const random = blockRandom(options.seed, block);
  const noteShare = options.noteShare ?? 0.25;
  const start = options.start.getTime();
  const end = options.end.getTime();
  const span = end - start;
  const last = Math.min(options.count, (block + 1) * BLOCK);

  for (let i = block * BLOCK; i < last; i++) {
    if (random() < noteShare) {
      const id = `syn-n-${pad6(i + 1)}`;
      const texts = composeNote(random, chooseNoteTopics(random), 1 + weighted(random, VERSION_WEIGHTS));
      let at = start + random() * span;
      for (let v = 1; v <= texts.length; v++) {
        if (v > 1) at = Math.min(end, at + 10 * MINUTE + random() * 3 * DAY);
        yield {
          type: "note",
          note_id: id,
          version: v,
          text: texts[v - 1] as string,
          created_at: isoSeconds(at),
        };
      }
      continue;
    }

    const channel = CHANNELS[weighted(random, CHANNEL_WEIGHTS)] as Channel;
    // Mostly short exchanges, some long threads; long threads have more words.
    const count = 2 + Math.floor(random() ** 1.6 * 19);
    const low = Math.min(MAX_WORDS, Math.max(MIN_WORDS, 12 * count));
    const conversation = composeConversation(random, {
      topics: chooseTopics(random),
      messages: count,
      words: low + Math.floor((MAX_WORDS - low) * random() ** 2),
      minWords: MIN_WORDS,
      maxWords: MAX_WORDS,
      channel,
    });
    // Last activity is uniform over [start, end]; the conversation began a little earlier.
    const updated = end - Math.floor(random() * span);
    const created = Math.max(start, updated - duration(random, channel));
    const step = (updated - created) / (conversation.messages.length - 1);
    const messages = conversation.messages.map((m, k) => ({
      role: m.role,
      text: m.text,
      at: isoSeconds(k === conversation.messages.length - 1 ? updated : created + k * step),
    }));
    yield {
      type: "conversation",
      fs_id: `syn-c-${pad6(i + 1)}`,
      subject: conversation.subject,
      messages,
      metadata: { channel, plan: conversation.context.get("plan"), locale: pick(random, LOCALES) },
      created_at: isoSeconds(created),
      updated_at: isoSeconds(updated),
    };
  }
}

/**
 * The import lines of `count` items, conversations and notes mixed, note
 * versions in order right after each other.
 */
export function* syntheticItems(options: SyntheticOptions): Generator<SyntheticLine> {
  if (!(options.end.getTime() >= options.start.getTime())) {
    throw new Error("syntheticItems: end must not be before start");
  }
  for (let block = 0; block * BLOCK < options.count; block++) yield* blockLines(options, block);
}

/**
 * One block as NDJSON bytes, in an ArrayBuffer of its own (so that a worker
 * can transfer it): JSON.stringify line by line, each written straight into
 * the buffer (faster than joining the lines first).
 */
function blockBytes(options: SyntheticOptions, block: number): Uint8Array<ArrayBuffer> {
  const lines: string[] = [];
  let units = 0;
  for (const line of blockLines(options, block)) {
    const json = JSON.stringify(line);
    lines.push(json);
    units += json.length + 1;
  }
  // A UTF-16 unit takes at most 3 bytes of UTF-8 (JSON.stringify escapes lone surrogates).
  const buffer = new Uint8Array(new ArrayBuffer(units * 3));
  const bytes = Buffer.from(buffer.buffer);
  let length = 0;
  for (const json of lines) {
    length += bytes.write(json, length);
    bytes[length++] = 10;
  }
  return buffer.subarray(0, length);
}

// --------------------------------------------------------------------- CLI

interface Args {
  items: number;
  seed: number;
  days: number;
  end: Date;
  noteShare: number;
  workers: number;
}

const USAGE =
  "usage: npx tsx bench/synthetic.ts --items N [--seed S] [--days D] [--end ISO|now] [--note-share F] [--workers W] > out.ndjson\n";

function parseArgs(argv: string[]): Args {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "-h" || arg === "--help") {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    const value = argv[i + 1];
    if (!arg.startsWith("--") || value === undefined) throw new Error(`unexpected argument ${arg}\n${USAGE}`);
    args.set(arg.slice(2), value);
    i++;
  }
  for (const key of args.keys()) {
    if (!["items", "seed", "days", "end", "note-share", "workers"].includes(key)) {
      throw new Error(`unknown option --${key}\n${USAGE}`);
    }
  }
  const number = (key: string, fallback: number) => {
    const value = Number(args.get(key) ?? fallback);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${key} must be a non-negative number`);
    return value;
  };
  const endArg = args.get("end") ?? "2026-11-24T00:00:00Z";
  const end = endArg === "now" ? new Date() : new Date(endArg);
  if (Number.isNaN(end.getTime())) throw new Error("--end must be an ISO date or 'now'");
  const noteShare = number("note-share", 0.25);
  if (noteShare > 1) throw new Error("--note-share must be between 0 and 1");
  const items = Math.floor(number("items", 1000));
  return {
    items,
    seed: Math.floor(number("seed", 1)),
    days: number("days", 365),
    end,
    noteShare,
    // Threads take a moment to start: worth it for big runs only.
    workers: Math.max(
      1,
      Math.floor(number("workers", items >= 20_000 ? Math.min(4, availableParallelism()) : 1)),
    ),
  };
}

interface WorkerInput {
  synthetic: { count: number; seed: number; start: number; end: number; noteShare: number };
}

/** Worker threads making blocks; `run` resolves with a block's bytes. */
class BlockPool {
  private readonly idle: Worker[] = [];
  private readonly queue: { block: number; done: (bytes: Uint8Array) => void; fail: (err: Error) => void }[] =
    [];
  private readonly busy = new Map<Worker, (typeof this.queue)[number]>();
  private readonly workers: Worker[] = [];

  constructor(size: number, input: WorkerInput) {
    // Under tsx (a .ts file), a worker needs tsx's loader registered before it imports this module.
    const url = import.meta.url;
    const code = url.endsWith(".ts")
      ? `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`
      : `import(${JSON.stringify(url)});`;
    for (let i = 0; i < size; i++) {
      const worker = new Worker(code, { eval: true, workerData: input });
      worker.on("message", (bytes: Uint8Array) => {
        const job = this.busy.get(worker);
        this.busy.delete(worker);
        this.idle.push(worker);
        job?.done(bytes);
        this.pump();
      });
      worker.on("error", (err) => {
        for (const job of [...this.busy.values(), ...this.queue]) job.fail(err);
      });
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  run(block: number): Promise<Uint8Array> {
    return new Promise((done, fail) => {
      this.queue.push({ block, done, fail });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const job = this.queue.shift() as (typeof this.queue)[number];
      this.busy.set(worker, job);
      worker.postMessage(job.block);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function runWorker(input: WorkerInput): void {
  const { count, seed, start, end, noteShare } = input.synthetic;
  const options = { count, seed, start: new Date(start), end: new Date(end), noteShare };
  parentPort?.on("message", (block: number) => {
    const bytes = blockBytes(options, block);
    parentPort?.postMessage(bytes, [bytes.buffer]);
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const options: SyntheticOptions = {
    count: args.items,
    seed: args.seed,
    start: new Date(args.end.getTime() - args.days * DAY),
    end: args.end,
    noteShare: args.noteShare,
  };
  const out = process.stdout;
  out.on("error", (err: NodeJS.ErrnoException) => {
    // `| head` closing the pipe is not an error.
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  const began = performance.now();
  const blocks = Math.ceil(args.items / BLOCK);
  let bytes = 0;
  const threads = Math.min(args.workers, blocks);
  const pool =
    threads > 1
      ? new BlockPool(threads, {
          synthetic: {
            count: options.count,
            seed: options.seed,
            start: options.start.getTime(),
            end: options.end.getTime(),
            noteShare: args.noteShare,
          },
        })
      : undefined;
  try {
    // A few blocks in flight per worker; written in order, waiting for the pipe to drain.
    const window = pool ? 3 * threads : 1;
    const pending: Promise<Uint8Array>[] = [];
    const make = (block: number) => (pool ? pool.run(block) : Promise.resolve(blockBytes(options, block)));
    for (let block = 0; block < blocks; block++) {
      while (pending.length < window && block + pending.length < blocks)
        pending.push(make(block + pending.length));
      const chunk = await (pending.shift() as Promise<Uint8Array>);
      bytes += chunk.length;
      if (!out.write(chunk)) await once(out, "drain");
    }
  } finally {
    await pool?.close();
  }
  const seconds = (performance.now() - began) / 1000;
  process.stderr.write(
    `synthetic: ${args.items} items, ${(bytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(1)} s: ` +
      `${Math.round(args.items / seconds)} items/s (${pool ? `${threads} worker threads` : "1 thread"})\n`,
  );
}

if (!isMainThread && (workerData as WorkerInput | undefined)?.synthetic) {
  runWorker(workerData as WorkerInput);
} else if (isMainThread && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: Error) => {
    process.stderr.write(`synthetic: ${err.message}\n`);
    process.exit(1);
  });
}
