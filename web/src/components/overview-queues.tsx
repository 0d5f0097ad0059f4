import type { TopicHealth } from "./overview-types";
import { count, duration } from "./time";

/** Each topic's backlog and throughput (admin only: it comes from /api/internal/overview). */
export function OverviewQueues({ queues }: { queues: TopicHealth[] }) {
  return (
    <section aria-labelledby="queues-heading">
      <h2 id="queues-heading">Queue health</h2>
      <table class="overview-queues">
        <thead>
          <tr>
            <th scope="col">Topic</th>
            <th scope="col" class="num">
              Pending
            </th>
            <th scope="col" class="num">
              Running
            </th>
            <th scope="col" class="num">
              Dead
            </th>
            <th scope="col" class="num">
              Oldest pending
            </th>
            <th scope="col" class="num">
              Processed last minute
            </th>
          </tr>
        </thead>
        <tbody>
          {queues.map((q) => (
            <tr key={q.topic} data-topic={q.topic}>
              <th scope="row" class="code">
                <Breakable text={q.topic} />
              </th>
              <td class="num" data-count="pending">
                {count(q.pending)}
              </td>
              <td class="num" data-count="running">
                {count(q.running)}
              </td>
              <td class={q.failed > 0 ? "num dead" : "num"} data-count="failed">
                {q.failed > 0 ? <a href="/queues">{count(q.failed)}</a> : count(q.failed)}
              </td>
              <td class="num">
                {q.oldest_pending_age_ms === null ? "—" : duration(q.oldest_pending_age_ms)}
              </td>
              <td class="num" data-count="processed_last_minute">
                {count(q.processed_last_minute)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** A topic name that may wrap after its underscores, not in the middle of a word. */
function Breakable({ text }: { text: string }) {
  const parts = text.split("_");
  return (
    <>
      {parts.map((part, i) => (
        <span key={i}>
          {part}
          {i < parts.length - 1 ? (
            <>
              _<wbr />
            </>
          ) : null}
        </span>
      ))}
    </>
  );
}
