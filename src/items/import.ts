import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import secureJson from "secure-json-parse";
import { z } from "zod";
import { enqueueAnalysis } from "../analysis/enqueue.js";
import { type Database, type Executor, transaction } from "../db/database.js";
import { AppError, type ErrorCode } from "../errors.js";
import { PRIORITY, type Publisher } from "../pubsub/publish.js";
import { idSchema } from "../validation.js";
import { conversationInput, putConversation } from "./conversations.js";
import { importNoteVersion, noteVersionInput } from "./notes.js";
import { checkItemSize, itemTooLarge, MAX_ITEM_RAW_BYTES } from "./size.js";

/** One NDJSON line: a conversation (the PUT body plus its fs_id) or a note version. */
export const importLine = z.discriminatedUnion("type", [
  conversationInput.extend({ type: z.literal("conversation"), fs_id: idSchema }),
  noteVersionInput.extend({
    type: z.literal("note"),
    note_id: idSchema,
    version: z.number().int().min(1).max(2_147_483_647).optional(),
  }),
]);
export type ImportLine = z.infer<typeof importLine>;

export interface ImportCounts {
  conversations: number;
  note_versions: number;
  skipped: number;
  rejected: number;
  lines: number;
}

export interface Rejection {
  line: number;
  /** The catalog code the API answers the same problem with (`item_too_large`, `validation_failed`, …). */
  code: ErrorCode;
  message: string;
}

export interface ImportOptions {
  batchSize?: number;
  onRejected?: (rejection: Rejection) => void;
  onProgress?: (counts: ImportCounts, bytesRead: number) => void;
}

const BATCH_SIZE = 500;

function codeOf(err: unknown): ErrorCode {
  if (err instanceof z.ZodError) return "validation_failed";
  if (err instanceof AppError) return err.code;
  return "internal";
}

function describe(err: unknown): string {
  if (err instanceof z.ZodError) {
    return err.issues.map((i) => `${i.path.join(".") || "line"}: ${i.message}`).join("; ");
  }
  if (err instanceof AppError) return err.message;
  return (err as Error).message;
}

/** The line without the fields that say what and which it is: the item, as a PUT or POST body holds it. */
function itemOf(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const {
    type: _type,
    fs_id: _fs,
    note_id: _note,
    version: _version,
    ...item
  } = value as Record<string, unknown>;
  return item;
}

function parseLine(text: string): ImportLine {
  // Past this it cannot be within the item limit: refused unparsed, as the API refuses such a body unread.
  if (text.length > MAX_ITEM_RAW_BYTES) throw itemTooLarge();
  let value: unknown;
  try {
    value = secureJson.parse(text, undefined, { protoAction: "error", constructorAction: "error" });
  } catch (err) {
    throw new AppError("invalid_json", `not valid JSON: ${(err as Error).message}`);
  }
  // The limit the API applies to the same item, measured the same way (src/items/size.ts).
  checkItemSize(itemOf(value), text.length);
  return importLine.parse(value);
}

type Outcome = "conversation" | "note_version" | "skipped";

/** Writes one line and, for what changed, enqueues its analysis as bulk work (live traffic goes first). */
async function applyLine(
  trx: Executor,
  dialect: Database["dialect"],
  publisher: Publisher,
  line: ImportLine,
): Promise<Outcome> {
  if (line.type === "conversation") {
    const { type: _type, fs_id, ...body } = line;
    await putConversation(trx, fs_id, body);
    await enqueueAnalysis(trx, publisher, { conversation_fs_id: fs_id }, PRIORITY.bulk);
    return "conversation";
  }
  const { type: _type, note_id, version, ...body } = line;
  const result = await importNoteVersion(trx, dialect, note_id, body, version);
  if (result.outcome === "skipped") return "skipped";
  await enqueueAnalysis(trx, publisher, { note_id, note_version: result.version.version }, PRIORITY.bulk);
  return "note_version";
}

/**
 * Streams an NDJSON file into the database in batched transactions. A bad
 * line is reported with its number and does not affect the lines around it:
 * service functions check everything before they write, so a rejected line
 * leaves nothing behind. Should a batch fail for another reason, its lines are
 * retried one transaction each, so only the culprit is rejected.
 */
export async function importFile(
  database: Database,
  publisher: Publisher,
  path: string,
  options: ImportOptions = {},
): Promise<ImportCounts> {
  const counts: ImportCounts = { conversations: 0, note_versions: 0, skipped: 0, rejected: 0, lines: 0 };
  const batchSize = options.batchSize ?? BATCH_SIZE;
  const stream = createReadStream(path);
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let batch: { number: number; line: ImportLine }[] = [];

  const reject = (number: number, err: unknown) => {
    counts.rejected++;
    options.onRejected?.({ line: number, code: codeOf(err), message: describe(err) });
  };
  const record = (outcome: Outcome) => {
    if (outcome === "conversation") counts.conversations++;
    else if (outcome === "note_version") counts.note_versions++;
    else counts.skipped++;
  };

  const flush = async () => {
    const items = batch;
    batch = [];
    if (items.length === 0) return;
    try {
      const outcomes = await transaction(database, async (trx) => {
        const results: { number: number; outcome?: Outcome; error?: unknown }[] = [];
        for (const item of items) {
          try {
            results.push({
              number: item.number,
              outcome: await applyLine(trx, database.dialect, publisher, item.line),
            });
          } catch (err) {
            if (!(err instanceof AppError)) throw err;
            results.push({ number: item.number, error: err });
          }
        }
        return results;
      });
      for (const r of outcomes) r.outcome ? record(r.outcome) : reject(r.number, r.error);
    } catch {
      for (const item of items) {
        try {
          record(
            await transaction(database, (trx) => applyLine(trx, database.dialect, publisher, item.line)),
          );
        } catch (err) {
          reject(item.number, err);
        }
      }
    }
    options.onProgress?.(counts, stream.bytesRead);
  };

  for await (const text of lines) {
    counts.lines++;
    if (text.trim() === "") continue;
    try {
      batch.push({ number: counts.lines, line: parseLine(text) });
    } catch (err) {
      reject(counts.lines, err);
    }
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return counts;
}
