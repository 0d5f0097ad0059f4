/**
 * The Items list's view as it lives in the URL. The URL's parameter names are
 * the API's own (GET /api/items), so a copied link, the page and a curl
 * request all say the same thing, and the page's request is the URL's query
 * with nothing added.
 */

export const LABEL_MODES = ["all", "any", "none"] as const;
export type LabelMode = (typeof LABEL_MODES)[number];
export const SOURCES = ["rule", "model", "llm", "manual"] as const;
export const TYPES = ["conversations", "notes"] as const;
export const PAGE_SIZES = [25, 50, 100, 200] as const;
export const DEFAULT_LIMIT = 50;

/** What the filters ask for; every field as text the way the URL carries it. */
export interface ItemsFilter {
  labels: string[];
  label_mode: LabelMode;
  source: string;
  type: string;
  updated_from: string;
  updated_until: string;
  q: string;
}

export interface ItemsView extends ItemsFilter {
  limit: number;
  /** The API's next_cursor that led to this page; "" on the first page. */
  cursor: string;
}

export const NO_FILTER: ItemsFilter = {
  labels: [],
  label_mode: "all",
  source: "",
  type: "",
  updated_from: "",
  updated_until: "",
  q: "",
};

/** The view of a URL's query string; anything unknown or malformed falls back to its default. */
export function parseView(search: string): ItemsView {
  const params = new URLSearchParams(search);
  const one = (key: string) => params.get(key) ?? "";
  // Comma-separated or repeated, as the API takes them.
  const labels = [
    ...new Set(
      params
        .getAll("labels")
        .flatMap((v) => v.split(","))
        .map((v) => v.trim())
        .filter((v) => v !== ""),
    ),
  ];
  const mode = one("label_mode");
  const limit = Number(one("limit"));
  return {
    labels,
    label_mode: (LABEL_MODES as readonly string[]).includes(mode) ? (mode as LabelMode) : "all",
    source: one("source"),
    type: one("type"),
    updated_from: one("updated_from"),
    updated_until: one("updated_until"),
    q: one("q"),
    limit: Number.isInteger(limit) && limit >= 1 && limit <= 1000 ? limit : DEFAULT_LIMIT,
    cursor: one("cursor"),
  };
}

/** The filter's parameters, defaults left out (what the export takes). */
export function filterParams(filter: ItemsFilter): URLSearchParams {
  const params = new URLSearchParams();
  if (filter.labels.length > 0) {
    params.set("labels", filter.labels.join(","));
    if (filter.label_mode !== "all") params.set("label_mode", filter.label_mode);
  }
  for (const key of ["source", "type", "updated_from", "updated_until", "q"] as const) {
    if (filter[key].trim() !== "") params.set(key, filter[key]);
  }
  return params;
}

/** The view's parameters: the filter's, then the page size and cursor when not the defaults. */
export function viewParams(view: ItemsView): URLSearchParams {
  const params = filterParams(view);
  if (view.limit !== DEFAULT_LIMIT) params.set("limit", String(view.limit));
  if (view.cursor !== "") params.set("cursor", view.cursor);
  return params;
}

const withQuery = (path: string, params: URLSearchParams) => {
  const text = params.toString();
  return text === "" ? path : `${path}?${text}`;
};

/** The page's own address for a view. */
export const viewHref = (view: ItemsView) => withQuery("/items", viewParams(view));

/** The API request that lists the view's page (the limit always sent: the page shows how many it asked for). */
export function listPath(view: ItemsView): string {
  const params = viewParams(view);
  params.set("limit", String(view.limit));
  return withQuery("/api/items", params);
}

/** The export of everything the filter matches: no cursor, no page size. */
export function exportHref(filter: ItemsFilter, format: "csv" | "ndjson"): string {
  const params = filterParams(filter);
  params.set("format", format);
  return withQuery("/api/items/export", params);
}

/** The item page of a row; an id is data, so it is encoded as one path segment. */
export const itemHref = (type: string, id: string) =>
  `/items/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
