import { chunks } from "../db/chunks.js";
import type { Database } from "../db/database.js";
import { readJson } from "../db/schema.js";
import { fitPage } from "../page-budget.js";
import { toIso } from "../time.js";
import {
  type ItemFilter,
  type ItemKey,
  type ItemLabel,
  itemKeys,
  type KeyRow,
  keyOf,
  labelsOfRows,
} from "./list.js";
import { notesWithLatestVersion } from "./notes.js";

/**
 * `GET /api/items/export`: every item the filter matches, with its content
 * and labels, as NDJSON or CSV. The list is walked by its own keyset in
 * chunks (EXPORT_CHUNK rows, and at most a page's worth of content, see
 * page-budget.ts), each written out before the next is read, so memory stays
 * flat for any number of items; the walk stops when the client goes away.
 */

export const EXPORT_FORMATS = ["ndjson", "csv"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Rows read per internal step of the walk. */
export const EXPORT_CHUNK = 500;

export const CSV_HEADER = ["type", "id", "updated_at", "labels", "text"];

interface Message {
  role: string;
  text: string;
  at: number | null;
}

export interface ExportedItem {
  type: "conversation" | "note";
  id: string;
  updated_at: string;
  subject?: string;
  messages?: { role: string; text: string; at: string | null }[];
  version?: number;
  text?: string;
  labels: ItemLabel[];
}

/** The full content of a chunk's rows, read by primary key (a row deleted meanwhile is left out). */
async function contents(
  database: Database,
  rows: KeyRow[],
): Promise<Map<string, Omit<ExportedItem, "labels">>> {
  const out = new Map<string, Omit<ExportedItem, "labels">>();
  const ex = database.db;
  const conversations = rows.filter((r) => r.kind === "conversation").map((r) => r.id);
  for (const part of chunks(conversations)) {
    const found = await ex
      .selectFrom("conversations")
      .select(["fs_id", "subject", "messages", "updated_at"])
      .where("fs_id", "in", part)
      .execute();
    for (const c of found) {
      out.set(`conversation:${c.fs_id}`, {
        type: "conversation",
        id: c.fs_id,
        updated_at: toIso(Number(c.updated_at)),
        subject: c.subject,
        messages: readJson<Message[]>(c.messages).map((m) => ({
          role: m.role,
          text: m.text,
          at: m.at === null ? null : toIso(m.at),
        })),
      });
    }
  }
  const notes = rows.filter((r) => r.kind === "note").map((r) => r.id);
  for (const part of chunks(notes)) {
    const found = await notesWithLatestVersion(ex)
      .select(["notes.note_id", "notes.updated_at", "note_versions.version", "note_versions.text"])
      .where("notes.note_id", "in", part)
      .execute();
    for (const n of found) {
      out.set(`note:${n.note_id}`, {
        type: "note",
        id: n.note_id,
        updated_at: toIso(Number(n.updated_at)),
        version: n.version,
        text: n.text,
      });
    }
  }
  return out;
}

/** Every matching item, in the list's order, chunk by chunk. */
export async function* exportItems(
  database: Database,
  filter: ItemFilter,
  signal?: AbortSignal,
  chunkSize = EXPORT_CHUNK,
): AsyncGenerator<ExportedItem[]> {
  let after: ItemKey | undefined;
  for (;;) {
    if (signal?.aborted) return;
    const { rows, more } = await itemKeys(database, filter, after, chunkSize);
    const kept = rows.slice(0, fitPage(rows.map((r) => r.bytes)));
    const last = kept[kept.length - 1];
    if (!last) return;
    const [content, labels] = await Promise.all([contents(database, kept), labelsOfRows(database.db, kept)]);
    const items: ExportedItem[] = [];
    for (const r of kept) {
      const item = content.get(`${r.kind}:${r.id}`);
      if (item) items.push({ ...item, labels: labels.get(`${r.kind}:${r.id}`) ?? [] });
    }
    yield items;
    if (!more && kept.length === rows.length) return;
    after = keyOf(last);
  }
}

/** The text of an item in one column: a conversation's subject, then one line per message. */
export function itemText(item: ExportedItem): string {
  if (item.type === "note") return item.text ?? "";
  const lines = (item.messages ?? []).map((m) => `${m.role}: ${m.text}`);
  return [item.subject ?? "", ...lines].join("\n");
}

/**
 * A CSV field (RFC 4180): quoted when it holds a quote, comma or line break.
 * A field a spreadsheet would run as a formula (starting with = + - @, a tab
 * or a carriage return) is neutralized with a leading apostrophe (OWASP's
 * advice against CSV injection).
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function csvRow(fields: string[]): string {
  return `${fields.map(csvField).join(",")}\r\n`;
}

/** The export as text, chunk by chunk: NDJSON lines, or CSV rows after a header. */
export async function* exportText(
  database: Database,
  filter: ItemFilter,
  format: ExportFormat,
  signal?: AbortSignal,
  chunkSize = EXPORT_CHUNK,
): AsyncGenerator<string> {
  if (format === "csv") yield csvRow(CSV_HEADER);
  for await (const items of exportItems(database, filter, signal, chunkSize)) {
    if (format === "ndjson") {
      yield items.map((item) => `${JSON.stringify(item)}\n`).join("");
    } else {
      yield items
        .map((item) =>
          csvRow([
            item.type,
            item.id,
            item.updated_at,
            item.labels.map((l) => l.name).join("|"),
            itemText(item),
          ]),
        )
        .join("");
    }
  }
}
