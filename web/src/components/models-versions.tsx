import { ConfirmButton } from "./confirm-button";
import { type ModelSummary, size, trainTime } from "./models-types";
import { count, Time } from "./time";

/**
 * The model versions, newest first (GET /api/internal/models): what each was
 * trained on, and the button that makes it the one new analyses use. A version
 * older than the active one is a roll-back, and says so.
 */
export function ModelsVersions(props: {
  models: ModelSummary[];
  selected: number | undefined;
  onSelect: (version: number) => void;
  onActivate: (version: number) => Promise<void>;
}) {
  const active = props.models.find((m) => m.active)?.version;
  return (
    <table class="models-versions">
      <thead>
        <tr>
          <th scope="col">Version</th>
          <th scope="col">Created</th>
          <th scope="col" class="num">
            Labels
          </th>
          <th scope="col" class="num">
            Examples
          </th>
          <th scope="col">Sources</th>
          <th scope="col" class="num">
            Train time
          </th>
          <th scope="col" class="num">
            Size
          </th>
          <th scope="col">
            <span class="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.models.map((m) => {
          const selected = m.version === props.selected;
          return (
            <tr key={m.version} data-version={m.version} class={selected ? "selected" : undefined}>
              <th scope="row">
                <span data-field="version">{m.version}</span>{" "}
                {m.active ? (
                  <span class="badge models-active" data-field="active">
                    active
                  </span>
                ) : null}
              </th>
              <td>
                <Time iso={m.created_at} />
              </td>
              <td class="num" data-field="labels">
                {count(m.labels.length)}
              </td>
              <td class="num" data-field="examples">
                {count(m.examples)}
              </td>
              <td data-field="sources">
                <Sources sources={m.sources} />
              </td>
              <td class="num">{trainTime(m.train_ms)}</td>
              <td class="num">{size(m.bytes)}</td>
              <td class="models-actions">
                <button type="button" aria-pressed={selected} onClick={() => props.onSelect(m.version)}>
                  Evaluation<span class="sr-only"> of version {m.version}</span>
                </button>{" "}
                {m.active ? (
                  <button type="button" disabled>
                    Active
                  </button>
                ) : (
                  <Activate version={m.version} active={active} onActivate={props.onActivate} />
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Activate(props: {
  version: number;
  active: number | undefined;
  onActivate: (version: number) => Promise<void>;
}) {
  const rollBack = props.active !== undefined && props.version < props.active;
  const label = rollBack ? `Roll back to version ${props.version}` : `Activate version ${props.version}`;
  return (
    <ConfirmButton
      label={label}
      question={
        <>
          Make version {props.version} the model new analyses use
          {props.active === undefined ? "" : `, instead of version ${props.active}`}? Runners use it from
          their next batch. Labels already on items stay until they are re-labeled.
        </>
      }
      action={() => props.onActivate(props.version)}
    />
  );
}

/** Where the examples came from: the taxonomy's examples, items labeled by hand, a file. */
function Sources({ sources }: { sources: ModelSummary["sources"] }) {
  const parts = [
    sources.taxonomy > 0 ? `taxonomy ${count(sources.taxonomy)}` : undefined,
    sources.manual > 0 ? `by hand ${count(sources.manual)}` : undefined,
    sources.file > 0
      ? `file ${count(sources.file)}${sources.file_name ? ` (${sources.file_name})` : ""}`
      : undefined,
  ].filter((p) => p !== undefined);
  return <>{parts.length === 0 ? "—" : parts.join(" · ")}</>;
}
