import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import type { Example } from "../classifier/index.js";
import { AppError } from "../errors.js";

/**
 * Labelled example files, for training and evaluation:
 * - CSV (RFC 4180: quoted fields, doubled quotes, commas and newlines inside
 *   quotes) with a header holding `text` and one of `label`, `category` or
 *   `intent` (one label per row; a row may repeat a text to give it more);
 * - JSON: `[{text, labels: [...]}]`, with `intents` accepted for `labels` (as
 *   in NLU++). A row with no labels is a negative example for every label.
 */

/** A problem with the data, said as the catalog's `invalid_training_data` (a 400 over HTTP). */
function dataError(message: string): AppError {
  return new AppError("invalid_training_data", message);
}

/**
 * A file's label as a taxonomy label name: lowercased, and any character
 * other than a-z, 0-9, `_`, `-`, `.` and `/` replaced by `_` (banking77's
 * `Refund_not_showing_up` becomes `refund_not_showing_up`, and
 * `reverted_card_payment?` becomes `reverted_card_payment`).
 */
export function toLabelName(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_./-]+/g, "_")
    .replace(/\/{2,}/g, "/")
    .replace(/^[_/]+|[_/]+$/g, "");
}

const LABEL_COLUMNS = ["label", "category", "intent"] as const;
const MAX_TEXT = 100_000;

export function readExamples(path: string): Example[] {
  let content: string;
  try {
    content = readFileSync(path, "utf8");
  } catch (err) {
    throw dataError(`${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const kind = extname(path).toLowerCase();
  if (kind === ".json") return parseJsonExamples(content, path);
  if (kind === ".csv") return parseCsvExamples(content, path);
  throw dataError(`${path}: use a .csv (text,label) or .json ([{text, labels}]) file`);
}

export function parseCsvExamples(content: string, name = "CSV"): Example[] {
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(content, {
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      bom: true,
      skip_empty_lines: true,
    });
  } catch (err) {
    throw dataError(`${name}: not valid CSV: ${(err as Error).message}`);
  }
  const columns = rows.length > 0 ? Object.keys(rows[0] as object) : [];
  const labelColumn = LABEL_COLUMNS.find((c) => columns.includes(c));
  if (!columns.includes("text") || labelColumn === undefined) {
    throw dataError(
      `${name}: the header must name a 'text' column and one of ${LABEL_COLUMNS.map((c) => `'${c}'`).join(", ")} (found: ${columns.join(", ") || "nothing"})`,
    );
  }
  return rows.map((row, i) => {
    const text = row.text ?? "";
    const label = toLabelName(row[labelColumn] ?? "");
    checkText(text, `${name} row ${i + 2}`);
    return { text, labels: label === "" ? [] : [label] };
  });
}

export function parseJsonExamples(content: string, name = "JSON"): Example[] {
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch (err) {
    throw dataError(`${name}: not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(data)) throw dataError(`${name}: expected an array of {text, labels}`);
  return data.map((row, i) => {
    const where = `${name} item ${i}`;
    if (typeof row !== "object" || row === null) throw dataError(`${where}: expected {text, labels}`);
    const { text, labels, intents } = row as { text?: unknown; labels?: unknown; intents?: unknown };
    const list = labels ?? intents ?? [];
    if (typeof text !== "string") throw dataError(`${where}: 'text' must be a string`);
    if (!Array.isArray(list) || !list.every((l) => typeof l === "string" && l.trim() !== "")) {
      throw dataError(`${where}: 'labels' (or 'intents') must be an array of label names`);
    }
    checkText(text, where);
    return { text, labels: [...new Set(list.map(toLabelName))] };
  });
}

function checkText(text: string, where: string): void {
  if (text.trim() === "") throw dataError(`${where}: 'text' is empty`);
  if (text.length > MAX_TEXT) throw dataError(`${where}: 'text' is longer than ${MAX_TEXT} characters`);
}
