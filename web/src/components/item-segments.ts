/** Text cut into marked and unmarked pieces: pure, so it is tested without a browser. */

/** One label's match in one text: [start, end) in UTF-16 code units. */
export interface Span {
  start: number;
  end: number;
  label: string;
}

/** A run of text and the labels whose evidence covers all of it (none: plain text). */
export interface Segment {
  text: string;
  labels: string[];
}

/**
 * Cuts `text` at every span boundary, so overlapping and nested spans become
 * consecutive pieces, each marked with every label covering it. The number of
 * pieces grows with the spans, never with the text: a 100,000-character
 * message with no evidence is one text node. Spans outside the text are
 * clipped; empty ones are dropped.
 */
export function segments(text: string, spans: readonly Span[]): Segment[] {
  const valid = spans
    .map((s) => ({
      start: Math.max(0, Math.min(s.start, text.length)),
      end: Math.min(s.end, text.length),
      label: s.label,
    }))
    .filter((s) => Number.isInteger(s.start) && Number.isInteger(s.end) && s.start < s.end);
  if (valid.length === 0) return text === "" ? [] : [{ text, labels: [] }];
  const cuts = [...new Set([0, text.length, ...valid.flatMap((s) => [s.start, s.end])])].sort(
    (a, b) => a - b,
  );
  const result: Segment[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const from = cuts[i] as number;
    const to = cuts[i + 1] as number;
    const labels = [
      ...new Set(valid.filter((s) => s.start <= from && s.end >= to).map((s) => s.label)),
    ].sort();
    const last = result[result.length - 1];
    // Neighbours with the same labels read as one mark (two spans meeting end to start).
    if (last && last.labels.join("\n") === labels.join("\n")) last.text += text.slice(from, to);
    else result.push({ text: text.slice(from, to), labels });
  }
  return result;
}
