import type { RunningJob } from "./overview-types";
import { count, duration, Time } from "./time";

/** Reanalysis jobs fanning out or running, each with its progress and a link to its page. */
export function OverviewJobs({ jobs }: { jobs: RunningJob[] }) {
  return (
    <section aria-labelledby="jobs-heading">
      <h2 id="jobs-heading">Running jobs</h2>
      {jobs.length === 0 ? (
        <p class="muted">No job is running.</p>
      ) : (
        <ul class="overview-jobs">
          {jobs.map((job) => (
            <JobProgress job={job} key={job.id} />
          ))}
        </ul>
      )}
    </section>
  );
}

function JobProgress({ job }: { job: RunningJob }) {
  const finished = job.done + job.failed + job.skipped;
  const name = `Job ${job.id}`;
  return (
    <li data-job={job.id}>
      <div class="row job-head">
        <a href={`/jobs/${job.id}`}>{name}</a>
        <span class="badge">{job.status === "fanning_out" ? "fanning out" : job.status}</span>
        {job.dry_run ? <span class="badge">dry run</span> : null}
        <span class="muted">
          {job.type}, <Time iso={job.from} /> – <Time iso={job.until} />
        </span>
      </div>
      {/* Until fan-out has counted the items there is no total: an indeterminate bar, not 0 of 0. */}
      {job.total > 0 ? (
        <progress value={finished} max={job.total} aria-label={`${name} progress`} />
      ) : (
        <progress aria-label={`${name} progress`} />
      )}
      <p class="muted job-stats">
        {count(finished)} of {count(job.total)} items
        {job.failed > 0 ? `, ${count(job.failed)} failed` : ""}
        {job.rate_per_second === null ? "" : ` · ${job.rate_per_second.toFixed(1)} items/s`}
        {job.eta_seconds === null ? "" : ` · about ${duration(job.eta_seconds * 1000)} left`}
      </p>
    </li>
  );
}
