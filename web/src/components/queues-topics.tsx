import { count, duration } from "./time";

export interface TopicCounts {
  topic: string;
  pending: number;
  running: number;
  failed: number;
  oldest_pending_age_ms: number | null;
  processed_last_minute: number;
}

/** Each topic's counts (GET /api/internal/pubsub/topics); a topic with dead letters filters the list below. */
export function QueuesTopics({
  topics,
  onShowDead,
}: {
  topics: TopicCounts[];
  onShowDead: (topic: string) => void;
}) {
  return (
    <table class="queues-topics">
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
            Dead letters
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
        {topics.map((t) => (
          <tr key={t.topic} data-topic={t.topic}>
            <th scope="row" class="code">
              {t.topic}
            </th>
            <td class="num" data-count="pending">
              {count(t.pending)}
            </td>
            <td class="num" data-count="running">
              {count(t.running)}
            </td>
            <td class="num" data-count="failed">
              {t.failed > 0 ? (
                <button type="button" class="link" onClick={() => onShowDead(t.topic)}>
                  {count(t.failed)}
                  <span class="sr-only"> dead letters of {t.topic}: show them</span>
                </button>
              ) : (
                count(t.failed)
              )}
            </td>
            <td class="num">{t.oldest_pending_age_ms === null ? "—" : duration(t.oldest_pending_age_ms)}</td>
            <td class="num" data-count="processed_last_minute">
              {count(t.processed_last_minute)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
