import { useEffect, useState } from "preact/hooks";
import { type ApiError, api, asApiError } from "../api";
import { ConfirmButton } from "../components/confirm-button";
import { isoOf } from "../components/dates";
import { Layout } from "../components/layout";
import { Loading, Problem } from "../components/problem";
import { defaultRange, type Range, RangeFields } from "../components/range-fields";
import { TaxonomyDiffSection } from "../components/taxonomy-diff";
import { TaxonomyEditor } from "../components/taxonomy-editor";
import { PreviewResult } from "../components/taxonomy-preview";
import { RelabelRange } from "../components/taxonomy-relabel";
import { putTaxonomyText } from "../components/taxonomy-send";
import { TaxonomyTree } from "../components/taxonomy-tree";
import type {
  Taxonomy,
  TaxonomyIssue,
  TaxonomyPreview,
  TaxonomyVersions,
} from "../components/taxonomy-types";
import { taxonomyJson, taxonomyYaml } from "../components/taxonomy-yaml";
import { Time } from "../components/time";
import { useIsAdmin } from "../session";
import { useApi } from "../use-api";
import "./taxonomy.css";

const issuesOf = (e: ApiError) =>
  e.code === "invalid_taxonomy"
    ? ((e.details as { issues?: TaxonomyIssue[] } | undefined)?.issues ?? [])
    : undefined;

/**
 * The taxonomy, for an admin: the current version as a tree; an editor whose
 * text the server checks (Preview, a dry run over a range, and Apply, a new
 * version), each problem beside its label; Re-label range; and a diff of any
 * two versions. All through /api/taxonomy* and /api/internal/*, admin routes.
 */
export function TaxonomyPage() {
  const admin = useIsAdmin();
  return (
    <Layout title="Taxonomy">
      {admin ? (
        <TaxonomyAdmin />
      ) : (
        <p class="notice">
          The taxonomy and its changes are for admins: this session's token may read and label items, not see
          or change the taxonomy. Sign in with an admin token to use this page.
        </p>
      )}
    </Layout>
  );
}

function TaxonomyAdmin() {
  const current = useApi<Taxonomy>("/api/taxonomy");
  const versions = useApi<TaxonomyVersions>("/api/taxonomy/versions");
  const [text, setText] = useState<string>();
  const [issues, setIssues] = useState<TaxonomyIssue[]>();
  const [range, setRange] = useState<Range>(() => defaultRange());
  const [preview, setPreview] = useState<TaxonomyPreview>();
  const [previewing, setPreviewing] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [applied, setApplied] = useState<Taxonomy>();

  // The editor starts from the current taxonomy, once it is known.
  useEffect(() => {
    if (text === undefined && current.data) setText(taxonomyYaml(current.data.labels));
  }, [current.data, text]);

  /** A refusal of the text goes beside its labels; any other failure above the buttons. */
  function fail(e: unknown) {
    const failure = asApiError(e);
    const found = issuesOf(failure);
    setIssues(found);
    setError(found ? undefined : failure);
  }

  async function runPreview(event: Event) {
    event.preventDefault();
    setPreviewing(true);
    setError(undefined);
    try {
      const body = {
        taxonomy: text ?? "",
        ...(range.from ? { from: isoOf(range.from) } : {}),
        ...(range.until ? { until: isoOf(range.until) } : {}),
        type: range.type,
      };
      setPreview(await api<TaxonomyPreview>("POST", "/api/internal/taxonomy/preview", body));
      setIssues(undefined);
    } catch (e) {
      setPreview(undefined);
      fail(e);
    } finally {
      setPreviewing(false);
    }
  }

  async function apply() {
    setError(undefined);
    try {
      const saved = await putTaxonomyText(text ?? "");
      setApplied(saved);
      setIssues(undefined);
      setPreview(undefined);
      await Promise.all([current.reload(), versions.reload()]);
    } catch (e) {
      fail(e);
    }
  }

  const data = current.data;
  return (
    <>
      <section aria-labelledby="current-heading">
        <h2 id="current-heading">Current taxonomy</h2>
        <Problem error={current.error} />
        {data === undefined ? (
          current.error ? null : (
            <Loading what="the taxonomy" />
          )
        ) : (
          <>
            <p class="muted" data-current-version={data.version}>
              Version {data.version}
              {data.created_at ? (
                <>
                  , saved <Time iso={data.created_at} />
                </>
              ) : null}
              : {data.labels.length.toLocaleString()} labels.
            </p>
            <TaxonomyTree labels={data.labels} />
          </>
        )}
      </section>

      <section aria-labelledby="edit-heading">
        <h2 id="edit-heading">Edit</h2>
        <p class="muted">
          Change the text, <strong>Preview</strong> what it would change over a range (nothing is written),
          then <strong>Apply</strong> it as a new version. Applying re-labels nothing: re-label a range below.
        </p>
        <div class="actions">
          <button type="button" disabled={!data} onClick={() => data && setText(taxonomyYaml(data.labels))}>
            Load current as YAML
          </button>
          <button type="button" disabled={!data} onClick={() => data && setText(taxonomyJson(data.labels))}>
            Load current as JSON
          </button>
        </div>
        <form onSubmit={(e) => void runPreview(e)} aria-label="Edit and preview">
          <TaxonomyEditor text={text ?? ""} onText={setText} issues={issues}>
            <fieldset>
              <legend>Preview range</legend>
              <RangeFields id="preview" range={range} onChange={setRange} />
            </fieldset>
            <div class="actions">
              <button type="submit" disabled={previewing || text === undefined}>
                {previewing ? "Previewing…" : "Preview"}
              </button>
              <ConfirmButton
                label="Apply"
                confirmLabel="Apply"
                disabled={text === undefined}
                question={
                  <>
                    Make this text the current taxonomy (a new version)? The runners use it for items analyzed
                    from now on; existing labels change only when a range is re-labeled.
                  </>
                }
                action={apply}
              />
            </div>
            <Problem error={error} />
            {applied ? (
              <p class="notice" role="status">
                Version {applied.version} is now current ({applied.labels.length.toLocaleString()} labels).
                Re-label a range to apply it to existing items.
              </p>
            ) : null}
          </TaxonomyEditor>
        </form>
        {preview ? <PreviewResult preview={preview} /> : null}
      </section>

      <section aria-labelledby="relabel-heading">
        <h2 id="relabel-heading">Re-label range</h2>
        <RelabelRange />
      </section>

      <section aria-labelledby="diff-heading">
        <h2 id="diff-heading">Compare versions</h2>
        <Problem error={versions.error} />
        {versions.data ? (
          <TaxonomyDiffSection versions={versions.data.versions} />
        ) : versions.error ? null : (
          <Loading what="the versions" />
        )}
      </section>
    </>
  );
}
