import { useCallback, useState } from "preact/hooks";
import { useRoute } from "preact-iso";
import { ItemAddLabel } from "../components/item-add-label";
import { ItemConversation } from "../components/item-conversation";
import { ItemHistory } from "../components/item-history";
import { ItemLabels, removedByPeople } from "../components/item-labels";
import { ItemNote } from "../components/item-note";
import { ItemRelabel } from "../components/item-relabel";
import {
  type Conversation,
  type HistoryEntry,
  type ItemKind,
  itemPath,
  type Note,
} from "../components/item-types";
import { Layout } from "../components/layout";
import { Loading, Problem } from "../components/problem";
import { count, Time } from "../components/time";
import { useIsAdmin } from "../session";
import { useApi } from "../use-api";
import "./item.css";

/** Labels change when runners work in the background; a re-label awaited is polled faster. */
const REFRESH_MS = 4000;
const WAITING_MS = 1000;

/**
 * One conversation or note: its text with every label's evidence marked, its
 * labels and how each came, its history, and a person's actions on them.
 */
export function ItemPage() {
  const { params } = useRoute();
  const kind: ItemKind | undefined =
    params.type === "conversation" || params.type === "note" ? params.type : undefined;
  const id = params.id ?? "";
  const title = kind === undefined ? "Item" : `${kind === "note" ? "Note" : "Conversation"} ${id}`;
  return (
    <Layout title={title}>
      <p>
        <a href="/items">← All items</a>
      </p>
      {kind === undefined ? (
        <p class="problem" role="alert">
          No such kind of item: items are conversations or notes.
        </p>
      ) : (
        <Item key={`${kind}/${id}`} kind={kind} id={id} />
      )}
    </Layout>
  );
}

function Item({ kind, id }: { kind: ItemKind; id: string }) {
  const admin = useIsAdmin();
  const base = itemPath(kind, id);
  const [waiting, setWaiting] = useState(false);
  const item = useApi<Conversation | Note>(base, REFRESH_MS);
  const history = useApi<{ items: HistoryEntry[] }>(
    `${base}/labels/history?limit=200`,
    waiting ? WAITING_MS : REFRESH_MS,
  );
  const { reload: reloadItem } = item;
  const { reload: reloadHistory } = history;
  const onChanged = useCallback(async () => {
    await Promise.all([reloadItem(), reloadHistory()]);
  }, [reloadItem, reloadHistory]);

  if (item.data === undefined)
    return item.error ? <Problem error={item.error} /> : <Loading what={`the ${kind}`} />;
  const data = item.data;
  const labels = data.labels;
  const entries = history.data?.items;
  const note = kind === "note" ? (data as Note) : undefined;
  const conversation = kind === "conversation" ? (data as Conversation) : undefined;
  const analysisKey: Record<string, string | number> = note
    ? { note_id: note.note_id, note_version: note.latest_version }
    : { conversation_fs_id: id };

  return (
    <>
      {/* A failed refresh keeps the last answer on screen, with the reason. */}
      <Problem error={item.error} />
      <dl class="cards item-facts">
        <div class="card">
          <dt>Labels</dt>
          <dd>{count(labels.length)}</dd>
        </div>
        {conversation ? (
          <>
            <div class="card">
              <dt>Messages</dt>
              <dd>{count(conversation.messages.length)}</dd>
            </div>
            <div class="card">
              <dt>Last activity</dt>
              <dd class="item-time">
                <Time iso={conversation.updated_at} />
              </dd>
            </div>
          </>
        ) : null}
        {note ? (
          <>
            <div class="card">
              <dt>Versions</dt>
              <dd>{count(note.latest_version)}</dd>
            </div>
            <div class="card">
              <dt>Latest version</dt>
              <dd class="item-time">
                <Time iso={note.created_at} />
              </dd>
            </div>
          </>
        ) : null}
      </dl>
      <ItemLabels
        labels={labels}
        removed={removedByPeople(entries ?? [], labels)}
        base={base}
        onChanged={onChanged}
      />
      <div class="item-actions grid2">
        <section aria-labelledby="item-add-heading">
          <h2 id="item-add-heading">Add a label</h2>
          <ItemAddLabel kind={kind} base={base} current={labels.map((l) => l.name)} onChanged={onChanged} />
        </section>
        {admin ? <ItemRelabel analysisKey={analysisKey} history={entries} onWaiting={setWaiting} /> : null}
      </div>
      <div class="grid2 item-columns">
        {conversation ? <ItemConversation conversation={conversation} /> : null}
        {note ? <ItemNote note={note} history={entries} /> : null}
        <div>
          <Problem error={history.error} />
          {entries === undefined ? (
            history.error ? null : (
              <Loading what="the history" />
            )
          ) : (
            <ItemHistory history={entries} />
          )}
        </div>
      </div>
    </>
  );
}
