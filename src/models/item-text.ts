import type { AnalyzableItem, Evidence } from "../analysis/rules.js";

/**
 * What the model reads of an item: a note's text; a conversation's subject
 * and what the customer wrote (the labels are about what the customer wants),
 * or every message when the customer wrote nothing. Training on items people
 * labeled uses the same text, so the model learns what it will be shown.
 */
export function modelText(item: AnalyzableItem): string {
  if (item.kind === "note") return item.text;
  const customer = item.messages.filter((m) => m.role === "customer");
  const messages = customer.length > 0 ? customer : item.messages;
  return [item.subject, ...messages.map((m) => m.text)].filter((t) => t !== "").join("\n");
}

const MAX_EXCERPT = 80;

/**
 * Where the words that drove a model's decision occur in the item, as
 * evidence like the rules give: the first occurrence of each (whole word,
 * case-insensitive). A word the model only knows in a normalized form the
 * text does not contain literally is left out.
 */
export function modelEvidence(item: AnalyzableItem, words: string[]): Evidence[] {
  const fields: { field: Evidence["field"]; text: string; message_index?: number }[] =
    item.kind === "note"
      ? [{ field: "note", text: item.text }]
      : [
          { field: "subject", text: item.subject },
          ...item.messages.map((m, i) => ({ field: "message" as const, text: m.text, message_index: i })),
        ];
  const evidence: Evidence[] = [];
  for (const word of words) {
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegex(word)}(?![\\p{L}\\p{N}])`, "iu");
    for (const f of fields) {
      const match = pattern.exec(f.text);
      if (!match) continue;
      const start = match.index;
      const end = start + match[0].length;
      const excerpt = match[0].length > MAX_EXCERPT ? `${match[0].slice(0, MAX_EXCERPT - 1)}…` : match[0];
      evidence.push({
        rule: "model",
        pattern: word,
        field: f.field,
        ...(f.message_index === undefined ? {} : { message_index: f.message_index }),
        start,
        end,
        excerpt,
      });
      break;
    }
  }
  return evidence;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
