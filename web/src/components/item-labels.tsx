import { useState } from "preact/hooks";
import { type ApiError, api, asApiError } from "../api";
import type { Evidence, HistoryEntry, ItemLabel } from "./item-types";
import { LabelChip } from "./label-chip";
import { Problem } from "./problem";
import { Time } from "./time";

function where(e: Evidence): string {
  if (e.field === "message") return `message ${(e.message_index ?? 0) + 1}`;
  return e.field;
}

/**
 * Labels people removed and have not handed back: the latest decision on
 * each label, read from the history (newest first). A hand-back ("override")
 * ends a decision.
 */
export function removedByPeople(history: readonly HistoryEntry[], current: readonly ItemLabel[]): string[] {
  const latest = new Map<string, HistoryEntry["action"]>();
  for (const h of history) {
    if (h.kind === "manual" && h.label !== undefined && !latest.has(h.label)) latest.set(h.label, h.action);
  }
  const onItem = new Set(current.map((l) => l.name));
  return [...latest]
    .filter(([name, action]) => action === "remove" && !onItem.has(name))
    .map(([name]) => name);
}

/**
 * The item's labels with how each came (source, confidence, taxonomy and
 * model version, evidence), and a person's actions on them: remove any,
 * hand a manual one back to the analyzers. `act` runs a request and reloads.
 */
export function ItemLabels(props: {
  labels: ItemLabel[];
  removed: string[];
  base: string;
  onChanged: () => Promise<void>;
}) {
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState<string>();
  const [notice, setNotice] = useState<string>();

  async function act(name: string, method: string, path: string, done: string) {
    setBusy(name);
    try {
      await api(method, path);
      setError(undefined);
      setNotice(done);
      await props.onChanged();
    } catch (e) {
      setNotice(undefined);
      setError(asApiError(e));
    } finally {
      setBusy(undefined);
    }
  }
  const labelPath = (name: string) => `${props.base}/labels/${encodeURIComponent(name)}`;
  const remove = (name: string) => act(name, "DELETE", labelPath(name), `Removed ${name}.`);
  const handBack = (name: string) =>
    act(
      name,
      "DELETE",
      `${labelPath(name)}/override`,
      `Handed ${name} back to the analyzers; they re-analyze the item now.`,
    );

  return (
    <section aria-labelledby="item-labels-heading">
      <h2 id="item-labels-heading">Labels</h2>
      <div aria-live="polite">{notice ? <p class="notice">{notice}</p> : null}</div>
      <Problem error={error} />
      {props.labels.length === 0 ? (
        <p class="muted">No labels.</p>
      ) : (
        <table class="item-labels">
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col">Source</th>
              <th scope="col" class="num">
                Confidence
              </th>
              <th scope="col">Taxonomy</th>
              <th scope="col">Model</th>
              <th scope="col">Evidence</th>
              <th scope="col">Analyzed</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {props.labels.map((l) => (
              <tr key={l.name} data-label={l.name}>
                <th scope="row">
                  <LabelChip name={l.name} source={l.source} />
                </th>
                <td>{l.source}</td>
                <td class="num">{l.confidence.toFixed(2)}</td>
                <td>
                  {l.taxonomy_version === null ? "—" : `v${l.taxonomy_version}`}
                  {l.retired ? (
                    <span class="muted" title="The current taxonomy no longer has this label">
                      {" "}
                      (retired)
                    </span>
                  ) : null}
                </td>
                <td>{l.model_version === null ? "—" : `v${l.model_version}`}</td>
                <td>
                  {l.evidence.length === 0 ? (
                    <span class="muted">{l.source === "manual" ? "set by a person" : "none"}</span>
                  ) : (
                    <ul class="item-evidence">
                      {l.evidence.map((e, i) => (
                        <li key={i}>
                          <span class="muted">{where(e)}:</span> <q>{e.excerpt}</q>{" "}
                          <span class="muted">
                            ({e.rule} <code>{e.pattern}</code>)
                          </span>
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
                <td>
                  <Time iso={l.analyzed_at} />
                </td>
                <td>
                  <div class="actions">
                    <button
                      type="button"
                      class="danger"
                      disabled={busy !== undefined}
                      aria-label={`Remove ${l.name}`}
                      onClick={() => void remove(l.name)}
                    >
                      Remove
                    </button>
                    {l.source === "manual" ? (
                      <button
                        type="button"
                        disabled={busy !== undefined}
                        aria-label={`Hand ${l.name} back to the analyzers`}
                        onClick={() => void handBack(l.name)}
                      >
                        Hand back
                      </button>
                    ) : null}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.removed.length > 0 ? (
        <>
          <h3>Removed by people</h3>
          <p class="muted">No analysis adds these back until they are handed back.</p>
          <ul class="item-removed">
            {props.removed.map((name) => (
              <li key={name} data-label={name}>
                <LabelChip name={name} />{" "}
                <button
                  type="button"
                  disabled={busy !== undefined}
                  aria-label={`Hand ${name} back to the analyzers`}
                  onClick={() => void handBack(name)}
                >
                  Hand back
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
