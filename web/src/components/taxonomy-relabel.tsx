import { useState } from "preact/hooks";
import { ApiError, api, query } from "../api";
import { Problem } from "./problem";
import { defaultRange, isoOf, RangeFields } from "./taxonomy-range";
import type { Range } from "./taxonomy-types";

interface Job {
  id: number;
  status: string;
}

/**
 * Re-label range: the runbook's own request, POST
 * /api/internal/labels/reanalysis?from&until&type, with its defaults in the
 * fields (the last 30 days, both kinds); the job it starts is linked.
 */
export function RelabelRange() {
  const [range, setRange] = useState<Range>(() => defaultRange());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [job, setJob] = useState<Job>();

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const params = {
        from: isoOf(range.from),
        until: isoOf(range.until),
        type: range.type === "both" ? undefined : range.type,
      };
      setJob(await api<Job>("POST", `/api/internal/labels/reanalysis${query(params)}`));
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, "error", String(e)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} aria-labelledby="relabel-heading">
      <p class="muted">
        Applies the current taxonomy to every item whose last activity falls in the range. Preview and Apply
        change no labels by themselves.
      </p>
      <RangeFields id="relabel" range={range} onChange={setRange} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Re-label range
        </button>
      </div>
      <Problem error={error} />
      {job ? (
        <p class="notice" role="status">
          Started <a href={`/jobs/${job.id}`}>job {job.id}</a> ({job.status.replace("_", " ")}): follow its
          progress on its page.
        </p>
      ) : null}
    </form>
  );
}
