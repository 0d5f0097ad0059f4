import type { ComponentChildren } from "preact";
import { count, duration } from "./time";

/** One topic's counts, as GET /api/internal/pubsub/topics and /api/internal/overview answer them. */
export interface TopicCounts {
  topic: string;
  pending: number;
  running: number;
  /** Claimed, but the lease ran out (the runner died): pending again at the next housekeeping. */
  expired?: number;
  failed: number;
  oldest_pending_age_ms: number | null;
  processed_last_minute: number;
}

/**
 * Each topic's backlog and throughput, a row per topic. Where a topic has
 * dead letters, `dead` says what its count leads to (the page that lists
 * them, or the list below); `deadHeading` names that column.
 */
export function TopicsTable(props: {
  class: string;
  topics: TopicCounts[];
  deadHeading: string;
  dead: (topic: TopicCounts) => ComponentChildren;
}) {
  return (
    <table class={props.class}>
      <thead>
        <tr>
          <th scope="col">Topic</th>
          <th scope="col" class="num">
            Pending
          </th>
          <th scope="col" class="num">
            Running
          </th>
          <th
            scope="col"
            class="num"
            title="Claimed, but the lease ran out: pending again at the next housekeeping"
          >
            Lease expired
          </th>
          <th scope="col" class="num">
            {props.deadHeading}
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
        {props.topics.map((t) => (
          <tr key={t.topic} data-topic={t.topic}>
            <th scope="row" class="code">
              <Breakable text={t.topic} />
            </th>
            <td class="num" data-count="pending">
              {count(t.pending)}
            </td>
            <td class="num" data-count="running">
              {count(t.running)}
            </td>
            <td class="num" data-count="expired">
              {count(t.expired ?? 0)}
            </td>
            <td class="num" data-count="failed">
              {t.failed > 0 ? props.dead(t) : count(t.failed)}
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
