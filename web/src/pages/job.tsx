import { useEffect, useState } from "preact/hooks";
import { useRoute } from "preact-iso";
import { api } from "../api";
import { AdminOnly } from "../components/admin-only";
import { ConfirmButton } from "../components/confirm-button";
import { JobChanges } from "../components/job-changes";
import { JobItems } from "../components/job-items";
import { JobProgress } from "../components/job-progress";
import type { Job } from "../components/jobs-types";
import { isActive } from "../components/jobs-types";
import { Layout } from "../components/layout";
import { Loading, Problem } from "../components/problem";
import { useIsAdmin } from "../session";
import { useApi } from "../use-api";
import "./jobs.css";

/** A running job is read every 1.5 s: the bar moves while one watches. */
const LIVE_MS = 1500;

/** One reanalysis job: live progress, rate and ETA, changes per label, the items it changed, Cancel. */
export function JobPage() {
  const { params } = useRoute();
  const id = params.id ?? "";
  const admin = useIsAdmin();
  return (
    <Layout title={`Job ${id}`}>
      <p>
        <a href="/jobs">All jobs</a>
      </p>
      {admin ? <JobView key={id} id={id} /> : <AdminOnly what="Re-label jobs" />}
    </Layout>
  );
}

function JobView({ id }: { id: string }) {
  const path = `/api/internal/labels/reanalysis/${encodeURIComponent(id)}`;
  // Polled while the job has work ahead; once it has ended, its figures no longer move.
  const [live, setLive] = useState(true);
  const { data: job, error, reload } = useApi<Job>(path, live ? LIVE_MS : undefined);
  useEffect(() => {
    if (job !== undefined) setLive(isActive(job));
  }, [job]);

  if (job === undefined) return error ? <Problem error={error} /> : <Loading what="the job" />;
  const running = isActive(job);
  return (
    <>
      <Problem error={error} />
      {running ? (
        <div class="actions">
          <ConfirmButton
            label="Cancel job"
            danger
            confirmLabel="Cancel job"
            question={`Cancel job ${job.id}? Items already analyzed keep their new labels; the analysis it alone still waits for is cancelled.`}
            action={async () => {
              await api<Job>("DELETE", path);
              await reload();
            }}
          />
        </div>
      ) : null}
      <JobProgress job={job} />
      <JobChanges job={job} />
      <JobItems jobId={job.id} active={running} dryRun={job.dry_run} />
    </>
  );
}
