import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api } from "../api";
import { AdminOnly } from "../components/admin-only";
import { Layout } from "../components/layout";
import { ModelsEmpty } from "../components/models-empty";
import { ModelsEvaluation } from "../components/models-evaluation";
import type { ModelSummary } from "../components/models-types";
import { ModelsVersions } from "../components/models-versions";
import { Loading, Problem } from "../components/problem";
import { useIsAdmin } from "../session";
import { useApi } from "../use-api";
import "./models.css";

/** A model trained elsewhere (the CLI) appears without a reload; versions change rarely. */
const MODELS_MS = 5000;

/** The model versions, one version's evaluation, and activating (or rolling back to) a version. */
export function ModelsPage() {
  const admin = useIsAdmin();
  return (
    <Layout title="Models">
      {admin ? <Models /> : <AdminOnly what="Model versions and their evaluations" />}
    </Layout>
  );
}

function Models() {
  const models = useApi<{ models: ModelSummary[] }>("/api/internal/models", MODELS_MS);
  const location = useLocation();
  const [result, setResult] = useState<string>();
  const list = models.data?.models ?? [];
  // The version in the URL (a link shows that evaluation), else the active one, else the newest.
  const asked = Number(location.query.version);
  const shown =
    list.find((m) => m.version === asked) ??
    list.find((m) => m.active) ??
    (list.length > 0 ? list[0] : undefined);

  function select(version: number) {
    location.route(`/models?version=${version}`, true);
  }

  async function activate(version: number) {
    setResult(undefined);
    await api<ModelSummary>("POST", `/api/internal/models/${version}/activate`);
    setResult(
      `Version ${version} is active: new analyses use it from the runners' next batch. ` +
        "Labels already on items stay until re-labeled.",
    );
    await models.reload();
  }

  return (
    <>
      <section aria-labelledby="versions-heading">
        <h2 id="versions-heading">Versions</h2>
        <Problem error={models.error} />
        {result ? (
          <p class="notice" role="status">
            {result} <a href="/taxonomy#relabel-heading">Re-label a range</a> to apply it to existing items.
          </p>
        ) : null}
        {models.data === undefined ? (
          models.error ? null : (
            <Loading what="the model versions" />
          )
        ) : list.length === 0 ? (
          <ModelsEmpty />
        ) : (
          <ModelsVersions models={list} selected={shown?.version} onSelect={select} onActivate={activate} />
        )}
      </section>
      {shown ? <ModelsEvaluation key={shown.version} model={shown} /> : null}
    </>
  );
}
