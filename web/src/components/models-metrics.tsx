import { type Evaluation, type LabelMetrics, pct } from "./models-types";
import { count } from "./time";

/** An evaluation's figures: the overall scores, each label's, and the confusions most worth fixing. */
export function ModelsMetrics({ report }: { report: Evaluation }) {
  // The labels people used most first: their scores rest on the most examples.
  const labels = Object.entries(report.per_label).sort(
    ([a, x], [b, y]) => y.support - x.support || (a < b ? -1 : a > b ? 1 : 0),
  );
  const cards = [
    { term: "Accuracy", field: "accuracy", value: report.accuracy },
    { term: "Micro-F1", field: "micro_f1", value: report.micro_f1 },
    { term: "Macro-F1", field: "macro_f1", value: report.macro_f1 },
  ];
  return (
    <>
      <dl class="cards models-scores">
        {cards.map((c) => (
          <div class="card" key={c.field}>
            <dt>{c.term}</dt>
            <dd data-score={c.field} data-value={c.value}>
              {pct(c.value)}
            </dd>
          </div>
        ))}
        <div class="card">
          <dt>Items scored</dt>
          <dd data-score="examples">{count(report.examples)}</dd>
        </div>
      </dl>
      {report.accuracy === undefined ? (
        <p class="muted">
          No accuracy: some items carry more than one label (it is kept for one label each).
        </p>
      ) : null}

      <h3 id="per-label-heading">Per label</h3>
      <table class="models-per-label" aria-labelledby="per-label-heading">
        <thead>
          <tr>
            <th scope="col">Label</th>
            <th scope="col" class="num">
              Precision
            </th>
            <th scope="col" class="num">
              Recall
            </th>
            <th scope="col" class="num">
              F1
            </th>
            <th scope="col" class="num">
              Support
            </th>
          </tr>
        </thead>
        <tbody>
          {labels.map(([name, m]) => (
            <LabelRow key={name} name={name} metrics={m} />
          ))}
        </tbody>
      </table>

      <h3 id="confusions-heading">Most frequent confusions</h3>
      {report.confusions.length === 0 ? (
        <p class="muted" data-no-confusions>
          None: the model never gave one of these items a label in place of the one people set.
        </p>
      ) : (
        <table class="models-confusions" aria-labelledby="confusions-heading">
          <thead>
            <tr>
              <th scope="col">Actual (set by hand)</th>
              <th scope="col">Predicted (by the model)</th>
              <th scope="col" class="num">
                Count
              </th>
            </tr>
          </thead>
          <tbody>
            {report.confusions.map((c) => (
              <tr key={`${c.actual}\u0000${c.predicted}`}>
                <td data-field="actual">{c.actual}</td>
                <td data-field="predicted">{c.predicted}</td>
                <td class="num" data-field="count">
                  {count(c.count)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function LabelRow({ name, metrics }: { name: string; metrics: LabelMetrics }) {
  return (
    <tr data-label={name} class={metrics.support === 0 ? "models-unused" : undefined}>
      <th scope="row" class="code">
        {name}
      </th>
      {(["precision", "recall", "f1"] as const).map((k) => (
        <td key={k} class="num" data-field={k} data-value={metrics[k]}>
          {pct(metrics[k])}
        </td>
      ))}
      <td class="num" data-field="support">
        {count(metrics.support)}
      </td>
    </tr>
  );
}
