/** A label as a chip: its name, and how it came (rule, model, llm, manual) for eyes and screen readers. */
export function LabelChip({ name, source }: { name: string; source?: string | undefined }) {
  return (
    <span class={`chip ${source ?? ""}`} title={source ? `${name} (${source})` : name}>
      {name}
      {source ? <span class="sr-only"> ({source})</span> : null}
    </span>
  );
}
