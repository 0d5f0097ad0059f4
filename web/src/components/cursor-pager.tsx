import { useState } from "preact/hooks";

/**
 * The cursors walked so far through a keyset-paged list (the API's cursors go
 * forward only): the last is the page shown, none is the first page.
 */
export function useCursors() {
  const [cursors, setCursors] = useState<string[]>([]);
  return { cursors, cursor: cursors[cursors.length - 1], setCursors };
}

/** Previous and Next over a keyset-paged list, shown only where there is another page. */
export function CursorPager(props: {
  label: string;
  cursors: string[];
  next: string | null | undefined;
  onCursors: (cursors: string[]) => void;
}) {
  const { cursors, next } = props;
  if (cursors.length === 0 && !next) return null;
  return (
    <nav class="pager" aria-label={props.label}>
      <button
        type="button"
        disabled={cursors.length === 0}
        onClick={() => props.onCursors(cursors.slice(0, -1))}
      >
        Previous
      </button>
      <button type="button" disabled={!next} onClick={() => next && props.onCursors([...cursors, next])}>
        Next
      </button>
    </nav>
  );
}
