import type { Job } from "./jobs-types";
import { LabelChip } from "./label-chip";
import { count } from "./time";

/** Per label, how many items the job added it to and removed it from (a dry run: would). */
export function JobChanges({ job }: { job: Job }) {
  return (
    <section aria-labelledby="changes-heading">
      <h2 id="changes-heading">Changes per label</h2>
      {job.changes.length === 0 ? (
        <p class="muted">{job.status === "done" ? "No label changed." : "No label has changed yet."}</p>
      ) : (
        <table class="job-changes">
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col" class="num">
                Added
              </th>
              <th scope="col" class="num">
                Removed
              </th>
            </tr>
          </thead>
          <tbody>
            {job.changes.map((c) => (
              <tr key={c.label} data-label={c.label}>
                <th scope="row">
                  <LabelChip name={c.label} />
                </th>
                <td class="num added" data-count="added">
                  {c.added > 0 ? `+${count(c.added)}` : "0"}
                </td>
                <td class="num removed" data-count="removed">
                  {c.removed > 0 ? `−${count(c.removed)}` : "0"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
