import { Layout } from "../components/layout";
import { OverviewJobs } from "../components/overview-jobs";
import { OverviewLabels } from "../components/overview-labels";
import { OverviewQueues } from "../components/overview-queues";
import { OverviewTotals } from "../components/overview-totals";
import { OverviewTrend } from "../components/overview-trend";
import type { Overview } from "../components/overview-types";
import { Loading, Problem } from "../components/problem";
import { Time } from "../components/time";
import { useIsAdmin } from "../session";
import { useApi } from "../use-api";
import "./overview.css";

/** Short enough to watch work move; the distribution query costs up to seconds on SQLite at 1M items. */
const REFRESH_MS = 3000;

/**
 * What a dashboard shows first: totals, the label distribution, a trend, and
 * for an admin the queue and the running jobs. An admin reads
 * /api/internal/overview (the same answer plus queues and jobs); an ingest
 * token reads /api/overview and sees no queue or job section.
 */
export function OverviewPage() {
  const admin = useIsAdmin();
  const { data, error } = useApi<Overview>(admin ? "/api/internal/overview" : "/api/overview", REFRESH_MS);
  return (
    <Layout title="Overview">
      <Problem error={error} />
      {data === undefined ? (
        error ? null : (
          <Loading what="the overview" />
        )
      ) : (
        <>
          <p class="muted overview-as-of">
            Counts as of <Time iso={data.generated_at} />, refreshed every {REFRESH_MS / 1000} s.
          </p>
          <OverviewTotals totals={data.totals} />
          {admin && data.queues && data.jobs ? (
            <div class="grid2 overview-ops">
              <OverviewQueues queues={data.queues} />
              <OverviewJobs jobs={data.jobs} />
            </div>
          ) : null}
          <OverviewTrend labels={data.labels} />
          <OverviewLabels labels={data.labels} />
        </>
      )}
    </Layout>
  );
}
