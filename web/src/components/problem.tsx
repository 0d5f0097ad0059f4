import type { ApiError } from "../api";

/** The server's own words for what went wrong, announced to screen readers. */
export function Problem({ error }: { error: ApiError | undefined | null }) {
  if (!error) return null;
  return (
    <p class="problem" role="alert">
      {error.message} <span class="code">({error.code})</span>
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" aria-live="polite">
      Loading {what}…
    </p>
  );
}
