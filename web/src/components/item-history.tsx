import type { HistoryEntry } from "./item-types";
import { LabelChip } from "./label-chip";
import { Time } from "./time";

const ACTIONS = { add: "added by hand", remove: "removed by hand", override: "handed back to the analyzers" };

function Changes({ entry }: { entry: HistoryEntry }) {
  if (entry.added.length === 0 && entry.removed.length === 0) return <span class="muted">no change</span>;
  return (
    <span>
      {entry.added.map((n) => (
        <span key={`+${n}`} class="added">
          <span aria-hidden="true">+</span>
          <span class="sr-only">added </span>
          <LabelChip name={n} />
        </span>
      ))}
      {entry.removed.map((n) => (
        <span key={`-${n}`} class="removed">
          <span aria-hidden="true">−</span>
          <span class="sr-only">removed </span>
          <LabelChip name={n} />
        </span>
      ))}
    </span>
  );
}

/** One run of the analyzers, or one decision of a person, with what it changed. */
export function HistoryItem({ entry }: { entry: HistoryEntry }) {
  if (entry.kind === "manual") {
    return (
      <>
        <Time iso={entry.at} /> <strong>Manual</strong>: {entry.label ?? "a label"}{" "}
        {ACTIONS[entry.action ?? "add"] ?? entry.action}
      </>
    );
  }
  const with_ = [
    entry.taxonomy_version != null ? `taxonomy v${entry.taxonomy_version}` : undefined,
    entry.model_version != null ? `model v${entry.model_version}` : undefined,
    entry.analyzer_version ? `analyzer ${entry.analyzer_version}` : undefined,
    entry.note_version != null ? `note version ${entry.note_version}` : undefined,
  ].filter((x) => x !== undefined);
  return (
    <>
      <Time iso={entry.at} /> <strong>Run {entry.run_id}</strong>{" "}
      {entry.job_id != null ? (
        <>
          (job <a href={`/jobs/${entry.job_id}`}>#{entry.job_id}</a>){" "}
        </>
      ) : null}
      <Changes entry={entry} />
      <div class="muted item-run-meta">
        {with_.join(" · ")}
        {entry.applied === false ? " · an older version: labels left alone" : ""}
      </div>
    </>
  );
}

/** The item's history, newest first: analysis runs and people's decisions. */
export function ItemHistory({ history }: { history: HistoryEntry[] }) {
  return (
    <section aria-labelledby="item-history-heading">
      <h2 id="item-history-heading">History</h2>
      {history.length === 0 ? (
        <p class="muted">Not analyzed yet.</p>
      ) : (
        <ol class="timeline item-history">
          {history.map((h, i) => (
            <li key={h.run_id !== undefined ? `run-${h.run_id}` : `manual-${h.at}-${i}`} data-run={h.run_id}>
              <HistoryItem entry={h} />
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
