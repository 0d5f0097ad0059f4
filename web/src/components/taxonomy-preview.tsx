import { LabelChip } from "./label-chip";
import type { TaxonomyPreview } from "./taxonomy-types";
import { count, duration, Time } from "./time";

const itemHref = (type: string, id: string) => `/items/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;

const CAPPED = {
  items: "the item limit",
  text: "the text limit",
  time: "the time limit",
};

/** Labels before → after, what is gained and lost marked in words and color. */
function BeforeAfter({ before, after }: { before: string[]; after: string[] }) {
  const lost = before.filter((l) => !after.includes(l));
  const gained = after.filter((l) => !before.includes(l));
  const kept = after.filter((l) => before.includes(l));
  return (
    <>
      <td>
        {before.length === 0 ? (
          <span class="muted">none</span>
        ) : (
          before.map((l) => <LabelChip key={l} name={l} />)
        )}
      </td>
      <td>
        {kept.map((l) => (
          <LabelChip key={l} name={l} />
        ))}
        {gained.map((l) => (
          <span key={l} class="chip taxonomy-gained">
            + {l}
            <span class="sr-only"> (gained)</span>
          </span>
        ))}
        {lost.map((l) => (
          <span key={l} class="chip taxonomy-lost">
            − <s>{l}</s>
            <span class="sr-only"> (lost)</span>
          </span>
        ))}
      </td>
    </>
  );
}

/** What the dry run found: per label, the examined items that would gain and lose it; then changed items. */
export function PreviewResult({ preview }: { preview: TaxonomyPreview }) {
  return (
    <div class="taxonomy-preview" aria-live="polite">
      <p>
        From <Time iso={preview.from} /> until <Time iso={preview.until} /> ({preview.type}):{" "}
        <strong data-preview="items_changed">{count(preview.items_changed)}</strong> of{" "}
        <span data-preview="items_examined">{count(preview.items_examined)}</span> items examined would change
        (compared with version {preview.current_version}; {count(preview.items_in_range)} in the range; took{" "}
        {duration(preview.elapsed_ms)}).
      </p>
      {preview.complete ? null : (
        <p class="notice">
          Only the newest {count(preview.items_examined)} items were analyzed (stopped by{" "}
          {preview.capped_by ? CAPPED[preview.capped_by] : "a limit"}); a re-label changes the whole range.
        </p>
      )}
      {preview.changes.length === 0 ? (
        <p class="muted">No label would change on the examined items.</p>
      ) : (
        <table class="taxonomy-changes">
          <caption>Changes per label</caption>
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col" class="num">
                Gained
              </th>
              <th scope="col" class="num">
                Lost
              </th>
            </tr>
          </thead>
          <tbody>
            {preview.changes.map((c) => (
              <tr key={c.label} data-change={c.label}>
                <th scope="row">
                  <code>{c.label}</code>
                </th>
                <td class="num added" data-count="gained">
                  {c.gained > 0 ? `+${count(c.gained)}` : "0"}
                </td>
                <td class="num removed" data-count="lost">
                  {c.lost > 0 ? `−${count(c.lost)}` : "0"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {preview.samples.length > 0 ? (
        <table class="taxonomy-samples">
          <caption>Sample items, before and after</caption>
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col">Text</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {preview.samples.map((s) => (
              <tr key={`${s.type}:${s.id}:${s.note_version ?? ""}`}>
                <td>
                  <a href={itemHref(s.type, s.id)}>
                    {s.type} {s.id}
                  </a>
                  {s.note_version === null ? null : <span class="muted"> v{s.note_version}</span>}
                </td>
                <td class="taxonomy-excerpt">{s.excerpt}</td>
                <BeforeAfter before={s.before} after={s.after} />
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
