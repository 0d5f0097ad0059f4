import { useState } from "preact/hooks";
import { fromSource, type LabelCounts, SOURCES, type Source } from "./overview-types";
import { count } from "./time";

/** Enough rows to see the shape at a glance; the rest one click away. */
const TOP = 15;

const SOURCE_NAMES: Record<Source, string> = { rule: "Rule", model: "Model", llm: "LLM", manual: "Manual" };

/**
 * Each label's items, most first, split by how the label came (rule, model,
 * manual; LLM only once some label came that way). The bar beside each row is
 * the same split drawn to scale; the numbers are the accessible version of it.
 */
export function OverviewLabels({ labels }: { labels: LabelCounts[] }) {
  const [all, setAll] = useState(false);
  const sources = SOURCES.filter((s) => s !== "llm" || labels.some((l) => fromSource(l, s) > 0));
  const shown = all ? labels : labels.slice(0, TOP);
  const most = labels[0]?.items ?? 0;
  return (
    <section aria-labelledby="labels-heading">
      <h2 id="labels-heading">Label distribution</h2>
      {labels.length === 0 ? (
        <p class="muted">No item carries a label yet.</p>
      ) : (
        <>
          <table class="overview-labels">
            <caption class="sr-only">Items per label, by source</caption>
            <thead>
              <tr>
                <th scope="col">Label</th>
                <th scope="col" class="num">
                  Items
                </th>
                {sources.map((s) => (
                  <th scope="col" class="num" key={s}>
                    {SOURCE_NAMES[s]}
                  </th>
                ))}
                <th scope="col">
                  <span class="sr-only">Split by source</span>
                  <SourceKey sources={sources} />
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((l) => (
                <tr key={l.name} data-label={l.name}>
                  <th scope="row">
                    <a href={`/items?labels=${encodeURIComponent(l.name)}`}>{l.name}</a>
                  </th>
                  <td class="num" data-count="items">
                    {count(l.items)}
                  </td>
                  {sources.map((s) => (
                    <td class="num" data-count={s} key={s}>
                      {count(fromSource(l, s))}
                    </td>
                  ))}
                  <td class="split-cell">
                    <SplitBar label={l} sources={sources} most={most} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {labels.length > TOP ? (
            <button type="button" class="link" aria-expanded={all} onClick={() => setAll(!all)}>
              {all ? `Show the top ${TOP} only` : `Show all ${count(labels.length)} labels`}
            </button>
          ) : null}
        </>
      )}
    </section>
  );
}

/** Widths are set through the CSSOM (a style object), which the page's CSP allows. */
function SplitBar({ label, sources, most }: { label: LabelCounts; sources: Source[]; most: number }) {
  return (
    <div
      class="split"
      aria-hidden="true"
      title={sources.map((s) => `${s}: ${fromSource(label, s)}`).join(", ")}
    >
      {sources.map((s) => {
        const n = fromSource(label, s);
        return n === 0 ? null : (
          <span key={s} class={`split-${s}`} style={{ width: `${(100 * n) / Math.max(1, most)}%` }} />
        );
      })}
    </div>
  );
}

function SourceKey({ sources }: { sources: Source[] }) {
  return (
    <span class="split-key" aria-hidden="true">
      {sources.map((s) => (
        <span key={s}>
          <span class={`swatch split-${s}`} />
          {SOURCE_NAMES[s]}
        </span>
      ))}
    </span>
  );
}
