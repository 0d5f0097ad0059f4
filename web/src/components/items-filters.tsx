import { useEffect, useState } from "preact/hooks";
import { ItemsLabels } from "./items-labels";
import { type ItemsFilter, PAGE_SIZES, SOURCES } from "./items-view";

export interface FilterDraft extends ItemsFilter {
  limit: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A date field over a bound the URL may hold as a full timestamp (a link
 * written by hand or a script): it shows the date part, and the exact value is
 * kept until the field is changed, so applying other filters does not move it.
 */
function DateField({
  id,
  label,
  value,
  onChange,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
}) {
  const exact = value !== "" && !DATE.test(value);
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        type="date"
        value={DATE.test(value.slice(0, 10)) ? value.slice(0, 10) : ""}
        onInput={(e) => onChange(e.currentTarget.value)}
        aria-describedby={exact ? `${id}-exact` : undefined}
      />
      {exact ? (
        <span id={`${id}-exact`} class="muted items-exact">
          exactly {value}
        </span>
      ) : null}
    </div>
  );
}

/**
 * The filter form. It edits a draft; Apply puts the draft in the URL (a new
 * history entry), and the page follows the URL. When the URL changes by other
 * means (Back, a link), the draft follows it.
 */
export function ItemsFilters({
  applied,
  onApply,
}: {
  applied: FilterDraft;
  onApply: (f: FilterDraft) => void;
}) {
  const [draft, setDraft] = useState(applied);
  const [pending, setPending] = useState("");
  const appliedKey = JSON.stringify(applied);
  // Keyed by content: a new `applied` object with the same filters must not wipe the draft.
  useEffect(() => {
    setDraft(applied);
    setPending("");
  }, [appliedKey]);

  const set = <K extends keyof FilterDraft>(key: K, value: FilterDraft[K]) =>
    setDraft((d) => ({ ...d, [key]: value }));

  const submit = (e: Event) => {
    e.preventDefault();
    // A name typed but not added is meant too.
    const typed = pending.trim();
    const labels = typed === "" || draft.labels.includes(typed) ? draft.labels : [...draft.labels, typed];
    setPending("");
    onApply({ ...draft, labels });
  };

  return (
    <form class="items-filters" aria-label="Filter items" onSubmit={submit}>
      <div class="row">
        <div class="field items-search">
          <label for="items-q">Search subject and messages</label>
          <input
            id="items-q"
            type="search"
            maxLength={1000}
            value={draft.q}
            onInput={(e) => set("q", e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="items-type">Type</label>
          <select id="items-type" value={draft.type} onChange={(e) => set("type", e.currentTarget.value)}>
            <option value="">Conversations and notes</option>
            <option value="conversations">Conversations</option>
            <option value="notes">Notes</option>
          </select>
        </div>
        <div class="field">
          <label for="items-source">Label source</label>
          <select
            id="items-source"
            value={draft.source}
            onChange={(e) => set("source", e.currentTarget.value)}
          >
            <option value="">Any source</option>
            {SOURCES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <DateField
          id="items-from"
          label="Updated from (UTC)"
          value={draft.updated_from}
          onChange={(v) => set("updated_from", v)}
        />
        <DateField
          id="items-until"
          label="Updated until (UTC)"
          value={draft.updated_until}
          onChange={(v) => set("updated_until", v)}
        />
        <div class="field">
          <label for="items-limit">Per page</label>
          <select
            id="items-limit"
            value={String(draft.limit)}
            onChange={(e) => set("limit", Number(e.currentTarget.value))}
          >
            {[...new Set([...PAGE_SIZES, draft.limit])]
              .sort((a, b) => a - b)
              .map((n) => (
                <option key={n} value={String(n)}>
                  {n}
                </option>
              ))}
          </select>
        </div>
      </div>
      <ItemsLabels
        labels={draft.labels}
        mode={draft.label_mode}
        pending={pending}
        onPending={setPending}
        onLabels={(labels) => set("labels", labels)}
        onMode={(mode) => set("label_mode", mode)}
      />
      <div class="actions">
        <button type="submit" class="primary">
          Apply filters
        </button>
        <a href="/items">Clear filters</a>
      </div>
    </form>
  );
}
