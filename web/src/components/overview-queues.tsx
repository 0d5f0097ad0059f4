import { count } from "./time";
import { type TopicCounts, TopicsTable } from "./topics-table";

/** Each topic's backlog and throughput (admin only: it comes from /api/internal/overview). */
export function OverviewQueues({ queues }: { queues: TopicCounts[] }) {
  return (
    <section aria-labelledby="queues-heading">
      <h2 id="queues-heading">Queue health</h2>
      <TopicsTable
        class="overview-queues"
        topics={queues}
        deadHeading="Dead"
        dead={(q) => (
          <a class="dead" href="/queues">
            {count(q.failed)}
          </a>
        )}
      />
    </section>
  );
}
