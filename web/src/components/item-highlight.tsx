import { type Span, segments } from "./item-segments";
import type { Evidence, ItemLabel } from "./item-types";

/** Whether evidence still points at the words it quotes (its excerpt), in this text. */
function matches(text: string, e: Evidence): boolean {
  const found = text.slice(e.start, e.end);
  const quoted = e.excerpt.endsWith("…") ? e.excerpt.slice(0, -1) : e.excerpt;
  return found.startsWith(quoted);
}

/**
 * The spans of every label's evidence in one field (the subject, message i,
 * or a note's text). Evidence that no longer quotes this text (analysis of
 * another note version) is left unmarked rather than marking the wrong words.
 */
export function spansIn(
  labels: readonly ItemLabel[],
  field: Evidence["field"],
  text: string,
  messageIndex?: number,
): Span[] {
  const spans: Span[] = [];
  for (const label of labels) {
    for (const e of label.evidence) {
      if (e.field !== field || (field === "message" && e.message_index !== messageIndex)) continue;
      if (matches(text, e)) spans.push({ start: e.start, end: e.end, label: label.name });
    }
  }
  return spans;
}

/**
 * Text with its evidence marked: each <mark> names its labels on hover
 * (title) and to screen readers (hidden text). Plain JSX text only: whatever
 * the text holds, it is never parsed as markup.
 */
export function Highlighted({ text, spans }: { text: string; spans: readonly Span[] }) {
  return (
    <>
      {segments(text, spans).map((s, i) =>
        s.labels.length === 0 ? (
          s.text
        ) : (
          <mark key={i} title={s.labels.join(", ")} data-labels={s.labels.join("\n")}>
            {s.text}
            <span class="sr-only"> (label: {s.labels.join(", ")})</span>
          </mark>
        ),
      )}
    </>
  );
}

/**
 * Props for a text box that may scroll (the page caps its height): a long
 * text is a focusable, named region, so keyboard users can scroll it too.
 */
export function scrollableProps(text: string, name: string): Record<string, string | number> {
  let lines = 1;
  for (let i = text.indexOf("\n"); i !== -1 && lines <= 20; i = text.indexOf("\n", i + 1)) lines++;
  return text.length > 1500 || lines > 20 ? { tabIndex: 0, role: "region", "aria-label": name } : {};
}
