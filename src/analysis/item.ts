import type { AnalyzableItem } from "./rules.js";

/**
 * An item as loaded for analysis: a conversation's messages still as the
 * JSON text stored, so that parsing it, the costliest part of reading an
 * item, happens where the item is analyzed (an analysis thread, in bulk).
 */
export type StoredItem =
  | { kind: "conversation"; subject: string; messages: string }
  | { kind: "note"; text: string };

export function toAnalyzable(item: StoredItem): AnalyzableItem {
  if (item.kind === "note") return item;
  const messages = JSON.parse(item.messages) as { role: "customer" | "agent" | "system"; text: string }[];
  return { kind: "conversation", subject: item.subject, messages };
}
