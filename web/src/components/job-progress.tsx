import type { Job } from "./jobs-types";
import { finishedOf, statusText } from "./jobs-types";
import { count, duration, Time } from "./time";

/**
 * A job's progress bar and figures. Rate and ETA are the server's (items
 * finished per second since the job started, and the time left at that rate).
 */
export function JobProgress({ job }: { job: Job }) {
  const finished = finishedOf(job);
  const label = `Job ${job.id} progress`;
  return (
    <section aria-labelledby="progress-heading">
      <h2 id="progress-heading">Progress</h2>
      <p class="row job-summary">
        <span class={`badge job-${job.status}`} data-status={job.status}>
          {statusText(job.status)}
        </span>
        {job.dry_run ? <span class="badge">dry run</span> : null}
        <span>
          {job.type}, last activity <Time iso={job.from} /> – <Time iso={job.until} />
        </span>
      </p>
      {/* A job counts its range when created; an empty range is not 0 of 0 but an indeterminate bar until done. */}
      {job.total > 0 || job.status === "done" ? (
        <progress value={finished} max={Math.max(job.total, 1)} aria-label={label} />
      ) : (
        <progress aria-label={label} />
      )}
      <p class="muted" aria-live="polite" data-progress>
        {count(finished)} of {count(job.total)} items finished
        {job.status === "fanning_out" ? " (still queueing the range)" : ""}
      </p>
      <dl class="cards">
        <Card name="Done" value={count(job.done)} />
        <Card name="Failed" value={count(job.failed)} />
        <Card name="Skipped" value={count(job.skipped)} />
        <Card
          name={job.dry_run ? "Items that would change" : "Items changed"}
          value={count(job.items_changed)}
        />
        <Card
          name="Rate"
          value={job.rate_per_second === null ? "—" : `${job.rate_per_second.toFixed(1)} items/s`}
        />
        <Card
          name="Time left"
          value={
            job.eta_seconds === null
              ? "—"
              : job.eta_seconds === 0
                ? "none"
                : `about ${duration(job.eta_seconds * 1000)}`
          }
        />
      </dl>
      <p class="muted">
        Started <Time iso={job.created_at} />; fanned out <Time iso={job.fanned_out_at} />; finished{" "}
        <Time iso={job.finished_at} />.
        {job.sample_limit === null ? "" : ` A dry run analyzes at most ${count(job.sample_limit)} items.`}
      </p>
    </section>
  );
}

function Card({ name, value }: { name: string; value: string }) {
  return (
    <div class="card">
      <dt>{name}</dt>
      <dd>{value}</dd>
    </div>
  );
}
