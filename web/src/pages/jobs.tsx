import { useState } from "preact/hooks";
import { query } from "../api";
import { AdminOnly } from "../components/admin-only";
import { JobsStartForm } from "../components/jobs-start-form";
import { JobsTable } from "../components/jobs-table";
import type { Job, Page } from "../components/jobs-types";
import { Layout } from "../components/layout";
import { Loading, Problem } from "../components/problem";
import { useIsAdmin } from "../session";
import { useApi } from "../use-api";
import "./jobs.css";

const PAGE_SIZE = 20;
/** Running jobs move: the list follows them. */
const REFRESH_MS = 3000;

/** Every reanalysis job, newest first, a page at a time; and a form to start one. */
export function JobsPage() {
  const admin = useIsAdmin();
  return <Layout title="Jobs">{admin ? <JobsList /> : <AdminOnly what="Re-label jobs" />}</Layout>;
}

function JobsList() {
  // The cursors of the pages before this one: Newer pops, Older pushes.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const { data, error } = useApi<Page<Job>>(
    `/api/internal/labels/reanalysis${query({ cursor, limit: PAGE_SIZE })}`,
    REFRESH_MS,
  );
  return (
    <>
      <JobsStartForm />
      <section aria-labelledby="jobs-list-heading">
        <h2 id="jobs-list-heading">All jobs</h2>
        <Problem error={error} />
        {data === undefined ? error ? null : <Loading what="jobs" /> : <JobsTable jobs={data.items} />}
        {cursors.length > 0 || data?.next_cursor ? (
          <nav class="pager" aria-label="Job pages">
            <button
              type="button"
              disabled={cursors.length === 0}
              onClick={() => setCursors(cursors.slice(0, -1))}
            >
              Newer jobs
            </button>
            <button
              type="button"
              disabled={!data?.next_cursor}
              onClick={() => data?.next_cursor && setCursors([...cursors, data.next_cursor])}
            >
              Older jobs
            </button>
          </nav>
        ) : null}
      </section>
    </>
  );
}
