import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, query } from "../api";
import { useAction } from "../use-action";
import { isoOf } from "./dates";
import type { Job } from "./jobs-types";
import { jobPath } from "./jobs-types";
import { Problem } from "./problem";
import { defaultRange, FromUntilFields, TypeField } from "./range-fields";

/**
 * "Start a re-label": the runbook's POST /api/internal/labels/reanalysis with
 * its defaults filled in (the last 30 days, up to now, both item types). The
 * new job's page opens, where its progress is followed.
 */
export function JobsStartForm() {
  const { route } = useLocation();
  const [defaults] = useState(() => defaultRange());
  const [from, setFrom] = useState(defaults.from);
  const [until, setUntil] = useState(defaults.until);
  // "" leaves the type to the API's default (both).
  const [type, setType] = useState("");
  const { busy, error, run } = useAction();

  function submit(event: Event) {
    event.preventDefault();
    void run(async () => {
      const params = { from: isoOf(from), until: isoOf(until), type };
      const job = await api<Job>("POST", `/api/internal/labels/reanalysis${query(params)}`);
      route(jobPath(job.id));
    });
  }

  return (
    <section aria-labelledby="start-heading">
      <h2 id="start-heading">Start a re-label</h2>
      <p class="muted">
        Re-analyzes every conversation and/or note whose last activity falls in the range, with the current
        taxonomy and model. Times are in your browser's zone.
      </p>
      <form class="row" onSubmit={submit}>
        <FromUntilFields
          id="relabel"
          kind="datetime-local"
          from={from}
          until={until}
          onFrom={setFrom}
          onUntil={setUntil}
        />
        <TypeField id="relabel" value={type} both="" onChange={setType} />
        <button type="submit" class="primary" disabled={busy}>
          Start re-label
        </button>
      </form>
      <Problem error={error} />
    </section>
  );
}
