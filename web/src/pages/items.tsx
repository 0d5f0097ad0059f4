import { useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { ApiError, get } from "../api";
import { type FilterDraft, ItemsFilters } from "../components/items-filters";
import { ItemsPager, rememberNext } from "../components/items-pager";
import { type ItemRow, ItemsTable } from "../components/items-table";
import { exportHref, listPath, parseView, viewHref } from "../components/items-view";
import { Layout } from "../components/layout";
import { Loading, Problem } from "../components/problem";
import "./items.css";

interface ItemsAnswer {
  items: ItemRow[];
  next_cursor: string | null;
}

/** The answer for one request path: while the path changes, the last answer stays shown, marked busy. */
interface Answer {
  path: string;
  data?: ItemsAnswer;
  error?: ApiError;
}

/**
 * Conversations and notes in one list. The URL is the state: the filters, page
 * size and cursor are its query (with the API's parameter names), so Back
 * restores a previous view and a copied link reproduces this one.
 */
export function ItemsPage() {
  const location = useLocation();
  const view = parseView(location.url.includes("?") ? location.url.slice(location.url.indexOf("?")) : "");
  const path = listPath(view);
  const [answer, setAnswer] = useState<Answer | undefined>();
  const [reloads, setReloads] = useState(0);

  // Runs again for a new path, or for the same one when `reloads` asks (Refresh).
  useEffect(() => {
    let live = true;
    get<ItemsAnswer>(path).then(
      (data) => {
        if (!live) return;
        if (data.next_cursor !== null) rememberNext(view, data.next_cursor, data.items.length);
        setAnswer({ path, data });
      },
      (error) => {
        if (!live) return;
        const failure = error instanceof ApiError ? error : new ApiError(0, "network", "The request failed.");
        setAnswer({ path, error: failure });
      },
    );
    return () => {
      live = false;
    };
  }, [path, reloads]);

  const busy = answer?.path !== path;
  const data = answer?.data;
  const apply = (f: FilterDraft) => location.route(viewHref({ ...f, cursor: "" }));
  const applied: FilterDraft = {
    labels: view.labels,
    label_mode: view.label_mode,
    source: view.source,
    type: view.type,
    updated_from: view.updated_from,
    updated_until: view.updated_until,
    q: view.q,
    limit: view.limit,
  };

  return (
    <Layout title="Items">
      <ItemsFilters applied={applied} onApply={apply} />
      <section aria-labelledby="items-results" class="items-results" aria-busy={busy ? "true" : "false"}>
        <div class="items-toolbar">
          <h2 id="items-results">Results</h2>
          <div class="actions">
            <a class="button" href={exportHref(view, "csv")} download>
              Export CSV
            </a>
            <a class="button" href={exportHref(view, "ndjson")} download>
              Export NDJSON
            </a>
            <button type="button" onClick={() => setReloads((n) => n + 1)}>
              Refresh
            </button>
          </div>
        </div>
        <p class="muted items-export-note">
          Export downloads every item the filters match (not only this page), with its labels.
        </p>
        {!busy && answer?.error ? <Problem error={answer.error} /> : null}
        <p class="sr-only" aria-live="polite">
          {busy || !data
            ? ""
            : data.items.length === 0
              ? "No items match these filters."
              : `${data.items.length} items shown${data.next_cursor ? "; more on the next page" : ""}.`}
        </p>
        {!data && busy ? <Loading what="items" /> : null}
        {data && (busy || !answer?.error) ? (
          <>
            {data.items.length === 0 ? (
              <p class="muted" data-empty="true">
                No items match these filters.
              </p>
            ) : (
              <ItemsTable items={data.items} />
            )}
            <ItemsPager view={view} shown={data.items.length} next={data.next_cursor} />
          </>
        ) : null}
      </section>
    </Layout>
  );
}
