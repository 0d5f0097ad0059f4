import { useState } from "preact/hooks";
import { type ApiError, asApiError, query } from "../api";
import { AdminOnly } from "../components/admin-only";
import { ConfirmButton } from "../components/confirm-button";
import { CursorPager, useCursors } from "../components/cursor-pager";
import { Layout } from "../components/layout";
import { Loading, Problem } from "../components/problem";
import {
  type DeadLetter,
  QueuesDeadLetters,
  type Redriven,
  redrive,
} from "../components/queues-dead-letters";
import { count } from "../components/time";
import { type TopicCounts, TopicsTable } from "../components/topics-table";
import { useIsAdmin } from "../session";
import { useApi } from "../use-api";
import "./queues.css";

const PAGE_SIZE = 100;
const TOPICS_MS = 3000;
/** Slower than the counts: a list that shifts under the pointer is hard to tick boxes in. */
const LETTERS_MS = 5000;

/** Each topic's counts, and the dead letters: read them, redrive one, several or all. */
export function QueuesPage() {
  const admin = useIsAdmin();
  return <Layout title="Queues">{admin ? <Queues /> : <AdminOnly what="Queues and dead letters" />}</Layout>;
}

function Queues() {
  const topics = useApi<{ topics: TopicCounts[] }>("/api/internal/pubsub/topics", TOPICS_MS);
  const [topic, setTopic] = useState("");
  const { cursors, cursor, setCursors } = useCursors();
  const letters = useApi<{ items: DeadLetter[]; next_cursor: string | null }>(
    `/api/internal/pubsub/dead-letters${query({ topic, cursor, limit: PAGE_SIZE })}`,
    LETTERS_MS,
  );
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [result, setResult] = useState<string>();
  const [error, setError] = useState<ApiError>();
  const shown = letters.data?.items ?? [];
  // Only what is on screen can be redriven as "selected": a letter gone since is not sent.
  const chosen = shown.filter((l) => selected.has(l.id)).map((l) => l.id);

  function select(ids: number[], on: boolean) {
    const next = new Set(selected);
    for (const id of ids) on ? next.add(id) : next.delete(id);
    setSelected(next);
  }

  async function run(selection: { ids?: number[]; topic?: string }, what: string) {
    setError(undefined);
    try {
      const answer: Redriven = await redrive(selection);
      setResult(
        `${what}: ${count(answer.redriven)} put back to pending` +
          (answer.folded > 0 ? `, ${count(answer.folded)} folded into a message already pending` : "") +
          ".",
      );
      setSelected(new Set());
      setCursors([]);
      await Promise.all([letters.reload(), topics.reload()]);
    } catch (e) {
      setError(asApiError(e));
    }
  }

  function chooseTopic(value: string) {
    setTopic(value);
    setCursors([]);
    setSelected(new Set());
  }

  return (
    <>
      <section aria-labelledby="topics-heading">
        <h2 id="topics-heading">Topics</h2>
        <Problem error={topics.error} />
        {topics.data === undefined ? (
          topics.error ? null : (
            <Loading what="the topics" />
          )
        ) : (
          <TopicsTable
            class="queues-topics"
            topics={topics.data.topics}
            deadHeading="Dead letters"
            // A topic's dead letters filter the list below.
            dead={(t) => (
              <button type="button" class="link" onClick={() => chooseTopic(t.topic)}>
                {count(t.failed)}
                <span class="sr-only"> dead letters of {t.topic}: show them</span>
              </button>
            )}
          />
        )}
      </section>

      <section aria-labelledby="dead-heading">
        <h2 id="dead-heading">Dead letters</h2>
        <p class="muted">
          Messages that used up their attempts. Redriving one gives it a fresh set of attempts; where its key
          is already pending, it is folded into that message instead.
        </p>
        <div class="row">
          <div class="field">
            <label for="dead-topic">Topic</label>
            <select id="dead-topic" value={topic} onChange={(e) => chooseTopic(e.currentTarget.value)}>
              <option value="">All topics</option>
              {(topics.data?.topics ?? []).map((t) => (
                <option key={t.topic} value={t.topic}>
                  {t.topic}
                </option>
              ))}
            </select>
          </div>
          <div class="actions">
            <button
              type="button"
              class="primary"
              disabled={chosen.length === 0}
              onClick={() => void run({ ids: chosen }, "Redrive selected")}
            >
              Redrive selected{chosen.length > 0 ? ` (${chosen.length})` : ""}
            </button>
            <ConfirmButton
              label="Redrive all"
              disabled={shown.length === 0}
              question={
                topic === ""
                  ? "Redrive every dead letter of every topic?"
                  : `Redrive every dead letter of ${topic}?`
              }
              action={() => run(topic === "" ? {} : { topic }, "Redrive all")}
            />
          </div>
        </div>
        <Problem error={error ?? letters.error} />
        {result ? (
          <p class="notice" role="status">
            {result}
          </p>
        ) : null}
        {letters.data === undefined ? (
          letters.error ? null : (
            <Loading what="the dead letters" />
          )
        ) : shown.length === 0 && cursors.length === 0 ? (
          <p class="muted" data-empty>
            No dead letters{topic === "" ? "" : ` on ${topic}`}.
          </p>
        ) : (
          <QueuesDeadLetters
            letters={shown}
            selected={selected}
            onSelect={select}
            onRedrive={(ids) => run({ ids }, `Dead letter ${ids[0]}`)}
          />
        )}
        <CursorPager
          label="Dead letter pages"
          cursors={cursors}
          next={letters.data?.next_cursor}
          onCursors={setCursors}
        />
      </section>
    </>
  );
}
