import { useEffect, useState } from "preact/hooks";
import { query } from "../api";
import { useApi } from "../use-api";
import { Loading, Problem } from "./problem";
import type { FieldValue, TaxonomyDiff, TaxonomyVersions } from "./taxonomy-types";
import { Time } from "./time";

function Value({ value }: { value: FieldValue }) {
  if (value === null) return <span class="muted">not set</span>;
  if (Array.isArray(value)) return <code>{value.length === 0 ? "[]" : value.join(", ")}</code>;
  return <code>{String(value)}</code>;
}

function DiffView({ diff }: { diff: TaxonomyDiff }) {
  const nothing = diff.added.length + diff.removed.length + diff.changed.length === 0;
  return (
    <div class="taxonomy-diff" aria-live="polite">
      <p>
        Version {diff.from.version} (<Time iso={diff.from.created_at} />) → version {diff.to.version} (
        <Time iso={diff.to.created_at} />
        ): {diff.added.length} added, {diff.removed.length} removed, {diff.changed.length} changed,{" "}
        {diff.unchanged} unchanged.
      </p>
      {nothing ? <p class="muted">The two versions have the same labels.</p> : null}
      {diff.added.length > 0 ? (
        <>
          <h3>Added</h3>
          <ul>
            {diff.added.map((l) => (
              <li key={l.name} class="added" data-diff="added">
                + <code>{l.name}</code>
                {l.description ? <span class="muted"> {l.description}</span> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {diff.removed.length > 0 ? (
        <>
          <h3>Removed</h3>
          <ul>
            {diff.removed.map((l) => (
              <li key={l.name} class="removed" data-diff="removed">
                − <code>{l.name}</code>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {diff.changed.length > 0 ? (
        <>
          <h3>Changed</h3>
          <table>
            <thead>
              <tr>
                <th scope="col">Label</th>
                <th scope="col">Field</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
              </tr>
            </thead>
            <tbody>
              {diff.changed.flatMap((label) =>
                label.changes.map((c, i) => (
                  <tr key={`${label.name}:${c.field}`} data-diff="changed" data-label={label.name}>
                    {i === 0 ? (
                      <th scope="rowgroup" rowSpan={label.changes.length}>
                        <code>{label.name}</code>
                      </th>
                    ) : null}
                    <td>{c.field}</td>
                    <td class={c.removed?.length ? "removed" : undefined}>
                      {c.removed ? (
                        <>
                          <Value value={c.before} />
                          {c.removed.length > 0 ? <div>− {c.removed.join(", ")}</div> : null}
                        </>
                      ) : (
                        <Value value={c.before} />
                      )}
                    </td>
                    <td class={c.added?.length ? "added" : undefined}>
                      <Value value={c.after} />
                      {c.added?.length ? <div>+ {c.added.join(", ")}</div> : null}
                    </td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        </>
      ) : null}
    </div>
  );
}

/** Two versions picked from the stored ones (default: the one before the current, and the current). */
export function TaxonomyDiffSection({ versions }: { versions: TaxonomyVersions["versions"] }) {
  const newest = versions[0]?.version ?? 0;
  const previous = versions[1]?.version ?? 0;
  const [from, setFrom] = useState(previous);
  const [to, setTo] = useState(newest);
  // A new version (after Apply) moves the pair along to it.
  useEffect(() => {
    setTo(newest);
    setFrom(previous);
  }, [newest, previous]);
  const { data, error } = useApi<TaxonomyDiff>(`/api/taxonomy/diff${query({ from, to })}`);
  const options = [...versions.map((v) => v.version), 0];
  const label = (v: number) => {
    const found = versions.find((x) => x.version === v);
    return v === 0 ? "0 (empty)" : `${v} (${found?.label_count ?? 0} labels)`;
  };
  return (
    <>
      <div class="row">
        <VersionField
          id="diff-from"
          name="From version"
          value={from}
          options={options}
          label={label}
          onChange={setFrom}
        />
        <VersionField
          id="diff-to"
          name="To version"
          value={to}
          options={options}
          label={label}
          onChange={setTo}
        />
      </div>
      <Problem error={error} />
      {data ? <DiffView diff={data} /> : error ? null : <Loading what="the diff" />}
    </>
  );
}

/** One side of the diff: a stored version (or 0, the empty taxonomy). */
function VersionField(props: {
  id: string;
  name: string;
  value: number;
  options: number[];
  label: (version: number) => string;
  onChange: (version: number) => void;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.name}</label>
      <select
        id={props.id}
        value={props.value}
        onChange={(e) => props.onChange(Number(e.currentTarget.value))}
      >
        {props.options.map((v) => (
          <option key={v} value={v}>
            {props.label(v)}
          </option>
        ))}
      </select>
    </div>
  );
}
