import { useState } from "preact/hooks";
import { api } from "../api";
import { useIsAdmin } from "../session";
import { useAction } from "../use-action";
import { useApi } from "../use-api";
import type { ItemKind } from "./item-types";
import { LabelNameField } from "./label-name-field";
import { Problem } from "./problem";

interface Taxonomy {
  labels: { name: string; applies_to?: string[] }[];
}
interface Stats {
  labels: { name: string; conversations: number; notes: number }[];
}

/**
 * The names to suggest: an admin reads the taxonomy (the labels that apply to
 * this kind of item); an ingest token may not (/api/taxonomy is admin-only),
 * so it is offered the labels already in use (/api/labels/stats).
 */
function useSuggestions(kind: ItemKind): string[] {
  const admin = useIsAdmin();
  const taxonomy = useApi<Taxonomy>(admin ? "/api/taxonomy" : undefined);
  const stats = useApi<Stats>(admin ? undefined : "/api/labels/stats");
  if (admin) {
    return (taxonomy.data?.labels ?? [])
      .filter((l) => l.applies_to === undefined || l.applies_to.includes(kind))
      .map((l) => l.name);
  }
  return (stats.data?.labels ?? [])
    .filter((l) => (kind === "conversation" ? l.conversations : l.notes) > 0)
    .map((l) => l.name);
}

/** Add a label by hand: a name (suggested from the taxonomy), checked by the server against it. */
export function ItemAddLabel(props: {
  kind: ItemKind;
  base: string;
  current: string[];
  onChanged: () => Promise<void>;
}) {
  const suggestions = useSuggestions(props.kind).filter((n) => !props.current.includes(n));
  const [name, setName] = useState("");
  const { busy, error, run } = useAction();
  const [added, setAdded] = useState<string>();

  async function submit(event: Event) {
    event.preventDefault();
    const wanted = name.trim();
    if (wanted === "") return;
    const done = await run(async () => {
      await api("POST", `${props.base}/labels`, { name: wanted });
      setAdded(wanted);
      setName("");
      await props.onChanged();
    });
    if (!done) setAdded(undefined);
  }

  return (
    <form class="item-add" onSubmit={(e) => void submit(e)}>
      <div class="row">
        <LabelNameField
          id="item-add-name"
          listId="item-add-suggestions"
          names={suggestions}
          value={name}
          maxLength={100}
          describedBy="item-add-help"
          onInput={setName}
        />
        <button type="submit" class="primary" disabled={busy || name.trim() === ""}>
          Add label
        </button>
      </div>
      <p id="item-add-help" class="muted">
        A label added by hand stays through every re-analysis, until it is handed back.
      </p>
      <div aria-live="polite">{added ? <p class="notice">Added {added}.</p> : null}</div>
      <Problem error={error} />
    </form>
  );
}
