import { useState } from "preact/hooks";
import { useApi } from "../use-api";
import { ModelsMetrics } from "./models-metrics";
import type { Evaluation, ModelSummary } from "./models-types";
import { Loading, Problem } from "./problem";
import { count } from "./time";

/**
 * One version scored against the labels people set by hand
 * (GET /api/internal/models/:version/evaluation). Not polled: it computes in a
 * worker thread, one at a time; "Evaluate again" asks once more.
 */
export function ModelsEvaluation({ model }: { model: ModelSummary }) {
  const { version } = model;
  const evaluation = useApi<Evaluation>(`/api/internal/models/${version}/evaluation`);
  const [retrying, setRetrying] = useState(false);
  // useApi keeps the previous version's answer while the next loads: show only this version's.
  const report = evaluation.data?.model_version === version ? evaluation.data : undefined;
  const error = evaluation.error;

  async function again() {
    setRetrying(true);
    try {
      await evaluation.reload();
    } finally {
      setRetrying(false);
    }
  }

  const busy = retrying || evaluation.loading;
  return (
    <section aria-labelledby="evaluation-heading" data-evaluation={version}>
      <h2 id="evaluation-heading">Evaluation of version {version}</h2>
      <p class="muted">
        Version {version} scored against the items people labeled by hand, with only the labels it knows. If
        it was trained on those items, this is agreement on data it saw, not how it does on new items:
        cross-validate for that (<code>relabel eval --data FILE --folds 5</code>).
      </p>
      {error?.code === "no_ground_truth" ? (
        <p class="models-no-truth" data-no-ground-truth>
          {error.message}
        </p>
      ) : (
        <Problem error={error} />
      )}
      {error === undefined && report === undefined ? (
        <Loading what={`the evaluation of version ${version}`} />
      ) : null}
      <div class="actions">
        <button type="button" disabled={busy} onClick={() => void again()}>
          {error?.code === "no_ground_truth" ? "Check again" : error ? "Try again" : "Evaluate again"}
        </button>
        {busy && report !== undefined ? <span class="muted">Evaluating…</span> : null}
      </div>
      {error === undefined && report !== undefined ? <ModelsMetrics report={report} /> : null}
      <details class="models-labels">
        <summary>
          The {count(model.labels.length)} labels version {version} knows
        </summary>
        <ul>
          {model.labels.map((l) => (
            <li key={l} class="chip">
              {l}
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}
