import { type ItemsView, viewHref } from "./items-view";

/**
 * Where each page came from: the API's cursors go forward only, so the page
 * remembers, per cursor, the cursor of the page before it and the position of
 * its first item. Module-wide, so it outlives the page component; a link
 * opened afresh on a later page offers "First page" instead.
 */
const walked = new Map<string, { previous: string; first: number }>();

/** Notes that `next` follows the page at `cursor`, which starts at item `first` (1-based). */
export function rememberNext(view: ItemsView, next: string, shown: number): void {
  const first = view.cursor === "" ? 1 : walked.get(view.cursor)?.first;
  if (first === undefined || walked.has(next)) return;
  walked.set(next, { previous: view.cursor, first: first + shown });
}

/** Links to the pages around this one; plain links, so the router adds each to the history. */
export function ItemsPager({ view, shown, next }: { view: ItemsView; shown: number; next: string | null }) {
  const here = view.cursor === "" ? { previous: "", first: 1 } : walked.get(view.cursor);
  return (
    <nav class="pager" aria-label="Pages of items">
      {view.cursor === "" ? null : here ? (
        <a href={viewHref({ ...view, cursor: here.previous })} rel="prev">
          Previous page
        </a>
      ) : (
        <a href={viewHref({ ...view, cursor: "" })}>First page</a>
      )}
      <span class="muted">
        {shown === 0
          ? "No items"
          : here
            ? `Items ${(here.first).toLocaleString()}–${(here.first + shown - 1).toLocaleString()}`
            : `${shown.toLocaleString()} items`}
      </span>
      {next === null ? null : (
        <a href={viewHref({ ...view, cursor: next })} rel="next">
          Next page
        </a>
      )}
    </nav>
  );
}
