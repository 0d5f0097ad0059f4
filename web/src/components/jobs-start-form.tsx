import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { ApiError, api, query } from "../api";
import type { Job } from "./jobs-types";
import { jobPath } from "./jobs-types";
import { Problem } from "./problem";

const DAY_MS = 86_400_000;

/** A Date as a datetime-local input's value: the browser's own zone, to the minute. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The input's local time as the exact instant the API takes (ISO-8601, UTC). */
function instant(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

/**
 * "Start a re-label": the runbook's POST /api/internal/labels/reanalysis with
 * its defaults filled in (the last 30 days, up to now, both item types). The
 * new job's page opens, where its progress is followed.
 */
export function JobsStartForm() {
  const { route } = useLocation();
  const [now] = useState(() => new Date());
  const [from, setFrom] = useState(() => localInput(new Date(now.getTime() - 30 * DAY_MS)));
  const [until, setUntil] = useState(() => localInput(now));
  const [type, setType] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const params = { from: from && instant(from), until: until && instant(until), type };
      const job = await api<Job>("POST", `/api/internal/labels/reanalysis${query(params)}`);
      route(jobPath(job.id));
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, "error", String(e)));
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="start-heading">
      <h2 id="start-heading">Start a re-label</h2>
      <p class="muted">
        Re-analyzes every conversation and/or note whose last activity falls in the range, with the current
        taxonomy and model. Times are in your browser's zone.
      </p>
      <form class="row" onSubmit={(e) => void submit(e)}>
        <div class="field">
          <label for="relabel-from">From</label>
          <input
            id="relabel-from"
            type="datetime-local"
            value={from}
            onInput={(e) => setFrom(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="relabel-until">Until</label>
          <input
            id="relabel-until"
            type="datetime-local"
            value={until}
            onInput={(e) => setUntil(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="relabel-type">Type</label>
          <select id="relabel-type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
            <option value="">Both</option>
            <option value="conversations">Conversations</option>
            <option value="notes">Notes</option>
          </select>
        </div>
        <button type="submit" class="primary" disabled={busy}>
          Start re-label
        </button>
      </form>
      <Problem error={error} />
    </section>
  );
}
