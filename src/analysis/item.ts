import { readJson } from "../db/schema.js";
import type { AnalyzableItem } from "./rules.js";

type Message = { role: "customer" | "agent" | "system"; text: string };

/**
 * An item as loaded for analysis: a conversation's messages still as stored
 * (JSON text on SQLite, already parsed on PostgreSQL), so that parsing them,
 * the costliest part of reading an item, happens where the item is analyzed
 * (a worker thread, for big batches), and a string is what crosses to it.
 */
export type StoredItem =
  | { kind: "conversation"; subject: string; messages: string | Message[] }
  | { kind: "note"; text: string };

export function toAnalyzable(item: StoredItem): AnalyzableItem {
  if (item.kind === "note") return item;
  return { kind: "conversation", subject: item.subject, messages: readJson<Message[]>(item.messages) };
}

/** About how many characters of text the item holds (the JSON's length, for stored messages). */
export function storedLength(item: StoredItem): number {
  if (item.kind === "note") return item.text.length;
  if (typeof item.messages === "string") return item.subject.length + item.messages.length;
  return item.messages.reduce((n, m) => n + m.text.length, item.subject.length);
}
