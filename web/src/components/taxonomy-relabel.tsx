import { useState } from "preact/hooks";
import { api, query } from "../api";
import { useAction } from "../use-action";
import { isoOf } from "./dates";
import { Problem } from "./problem";
import { defaultRange, type Range, RangeFields } from "./range-fields";

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
  const { busy, error, run } = useAction();
  const [job, setJob] = useState<Job>();

  function submit(event: Event) {
    event.preventDefault();
    void run(async () => {
      const params = {
        from: isoOf(range.from),
        until: isoOf(range.until),
        type: range.type === "both" ? undefined : range.type,
      };
      setJob(await api<Job>("POST", `/api/internal/labels/reanalysis${query(params)}`));
    });
  }

  return (
    <form onSubmit={submit} aria-labelledby="relabel-heading">
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
