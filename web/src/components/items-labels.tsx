import { useState } from "preact/hooks";
import { useIsAdmin } from "../session";
import { useApi } from "../use-api";
import { LABEL_MODES, type LabelMode } from "./items-view";
import { LabelNameField } from "./label-name-field";

const MODE_NAMES: Record<LabelMode, string> = { all: "All of", any: "Any of", none: "None of" };

/**
 * Label names to suggest: the taxonomy's (admin only: an ingest token gets a
 * 403 there) and every label some item carries (readable by everyone, and
 * the only source for an ingest token). Any other name may still be typed:
 * the API names a typo in its answer.
 */
function useLabelNames(): string[] {
  const admin = useIsAdmin();
  const taxonomy = useApi<{ labels: { name: string }[] }>(admin ? "/api/taxonomy" : undefined);
  const stats = useApi<{ labels: { name: string }[] }>("/api/labels/stats");
  const names = [...(taxonomy.data?.labels ?? []), ...(stats.data?.labels ?? [])].map((l) => l.name);
  return [...new Set(names)].sort();
}

/** The labels part of the filters: names chosen one at a time, and how they combine. */
export function ItemsLabels({
  labels,
  mode,
  pending,
  onPending,
  onLabels,
  onMode,
}: {
  labels: string[];
  mode: LabelMode;
  /** What is typed in the name field, not yet added (Apply adds it too). */
  pending: string;
  onPending: (text: string) => void;
  onLabels: (labels: string[]) => void;
  onMode: (mode: LabelMode) => void;
}) {
  const names = useLabelNames();
  const [announce, setAnnounce] = useState("");

  const add = () => {
    const name = pending.trim();
    if (name === "") return;
    if (!labels.includes(name)) onLabels([...labels, name]);
    onPending("");
    setAnnounce(`Label ${name} added.`);
  };
  const remove = (name: string) => {
    onLabels(labels.filter((l) => l !== name));
    setAnnounce(`Label ${name} removed.`);
  };

  return (
    <fieldset class="items-labels">
      <legend>Labels</legend>
      <div class="row">
        <LabelNameField
          id="items-label-name"
          listId="items-label-names"
          names={names}
          value={pending}
          onInput={onPending}
          onKeyDown={(e) => {
            // Enter adds the name rather than applying the filters half-typed.
            if (e.key === "Enter" && pending.trim() !== "") {
              e.preventDefault();
              add();
            }
          }}
        />
        <button type="button" onClick={add}>
          Add label
        </button>
        <fieldset class="items-mode">
          <legend>Items with</legend>
          {LABEL_MODES.map((m) => (
            <label key={m}>
              <input
                type="radio"
                name="label_mode"
                value={m}
                checked={mode === m}
                onChange={() => onMode(m)}
              />{" "}
              {MODE_NAMES[m]}
            </label>
          ))}
        </fieldset>
      </div>
      {labels.length === 0 ? (
        <p class="muted">No label chosen: items with any labels or none.</p>
      ) : (
        <ul class="items-chosen" aria-label="Chosen labels">
          {labels.map((name) => (
            <li key={name} class="chip">
              <bdi>{name}</bdi>
              <button
                type="button"
                class="link"
                aria-label={`Remove label ${name}`}
                title={`Remove ${name}`}
                onClick={() => remove(name)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <p class="sr-only" aria-live="polite">
        {announce}
      </p>
    </fieldset>
  );
}
