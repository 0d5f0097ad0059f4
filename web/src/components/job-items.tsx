import { query } from "../api";
import { useApi } from "../use-api";
import { CursorPager, useCursors } from "./cursor-pager";
import type { JobItem, Page } from "./jobs-types";
import { itemPath } from "./jobs-types";
import { LabelChip } from "./label-chip";
import { Loading, Problem } from "./problem";
import { Time } from "./time";

const PAGE_SIZE = 50;

/**
 * The items the job changed, in run order, each linked to its page with what
 * its run added and removed. Polled while the job runs; read once more when it
 * ends (the refresh interval changes, so useApi reloads).
 */
export function JobItems({ jobId, active, dryRun }: { jobId: number; active: boolean; dryRun: boolean }) {
  const { cursors, cursor, setCursors } = useCursors();
  const { data, error } = useApi<Page<JobItem>>(
    `/api/internal/labels/reanalysis/${jobId}/items${query({ cursor, limit: PAGE_SIZE })}`,
    active ? 3000 : undefined,
  );
  return (
    <section aria-labelledby="items-heading">
      <h2 id="items-heading">Items it changed</h2>
      <Problem error={error} />
      {data === undefined ? (
        error ? null : (
          <Loading what="the items" />
        )
      ) : data.items.length === 0 && cursors.length === 0 ? (
        <p class="muted">
          {dryRun
            ? "A dry run changes nothing: see the changes per label above."
            : active
              ? "No item has changed yet."
              : "No item changed."}
        </p>
      ) : (
        <table class="job-items">
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col">Added</th>
              <th scope="col">Removed</th>
              <th scope="col">Analyzed</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((item) => (
              <tr key={item.run_id} data-run={item.run_id}>
                <th scope="row">
                  <span class="muted">{item.type} </span>
                  <a href={itemPath(item.type, item.id)} class="code">
                    {item.id}
                  </a>
                  {item.note_version === null ? null : <span class="muted"> v{item.note_version}</span>}
                </th>
                <td class="added">
                  {item.added.map((name) => (
                    <LabelChip key={name} name={name} />
                  ))}
                </td>
                <td class="removed">
                  {item.removed.map((name) => (
                    <LabelChip key={name} name={name} />
                  ))}
                </td>
                <td>
                  <Time iso={item.analyzed_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <CursorPager
        label="Changed item pages"
        cursors={cursors}
        next={data?.next_cursor}
        onCursors={setCursors}
      />
    </section>
  );
}
