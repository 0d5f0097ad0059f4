import type { Job } from "./jobs-types";
import { finishedOf, jobPath, statusText } from "./jobs-types";
import { count, Time } from "./time";

/** Jobs as rows: each with its range, progress and changes, and a link to its page. */
export function JobsTable({ jobs }: { jobs: Job[] }) {
  if (jobs.length === 0) return <p class="muted">No re-label job yet.</p>;
  return (
    <table class="jobs-table">
      <thead>
        <tr>
          <th scope="col">Job</th>
          <th scope="col">Status</th>
          <th scope="col">Type</th>
          <th scope="col">Range</th>
          <th scope="col">Progress</th>
          <th scope="col" class="num">
            Items changed
          </th>
          <th scope="col">Started</th>
          <th scope="col">Finished</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((job) => (
          <tr key={job.id} data-job={job.id}>
            <th scope="row">
              <a href={jobPath(job.id)}>Job {job.id}</a>
            </th>
            <td>
              <span class={`badge job-${job.status}`}>{statusText(job.status)}</span>
              {job.dry_run ? <span class="badge">dry run</span> : null}
            </td>
            <td>{job.type}</td>
            <td>
              <Time iso={job.from} /> – <Time iso={job.until} />
            </td>
            <td class="jobs-progress">
              {job.total > 0 ? (
                <progress value={finishedOf(job)} max={job.total} aria-label={`Job ${job.id} progress`} />
              ) : null}
              <span class="muted">
                {count(finishedOf(job))} of {count(job.total)}
              </span>
            </td>
            <td class="num">{count(job.items_changed)}</td>
            <td>
              <Time iso={job.created_at} />
            </td>
            <td>
              <Time iso={job.finished_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
