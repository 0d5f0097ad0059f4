import { useEffect, useState } from "preact/hooks";
import { type ApiError, api, asApiError } from "../api";
import { HistoryItem } from "./item-history";
import type { HistoryEntry } from "./item-types";
import { Problem } from "./problem";

/** How long a run may keep us waiting before we offer to tick the runners (none may be running). */
const TICK_HINT_MS = 8000;

type State =
  | { phase: "idle" }
  | { phase: "waiting"; after: number; message: number; deduplicated: boolean }
  | { phase: "done"; run: HistoryEntry };

/** The newest analysis run after run `after`, if one has landed. */
function landed(history: readonly HistoryEntry[], after: number): HistoryEntry | undefined {
  return history.find((h) => h.kind === "analysis" && h.run_id !== undefined && h.run_id > after);
}

/**
 * Re-label: the runbook's publish request for this one item (admin only),
 * then the run it causes, read from the item's history as the page polls it.
 * `onWaiting` lets the page poll faster while a run is awaited.
 */
export function ItemRelabel(props: {
  analysisKey: Record<string, string | number>;
  history: HistoryEntry[] | undefined;
  onWaiting: (waiting: boolean) => void;
}) {
  const [state, setState] = useState<State>({ phase: "idle" });
  const [error, setError] = useState<ApiError>();
  const [slow, setSlow] = useState(false);
  const history = props.history ?? [];
  const { onWaiting } = props;

  const run = state.phase === "waiting" ? landed(history, state.after) : undefined;
  useEffect(() => {
    if (run) setState({ phase: "done", run });
  }, [run]);
  useEffect(() => onWaiting(state.phase === "waiting"), [state.phase, onWaiting]);
  useEffect(() => {
    setSlow(false);
    if (state.phase !== "waiting") return;
    const timer = setTimeout(() => setSlow(true), TICK_HINT_MS);
    return () => clearTimeout(timer);
  }, [state]);

  async function relabel() {
    const after = Math.max(0, ...history.map((h) => h.run_id ?? 0));
    try {
      const published = await api<{ id: number; deduplicated: boolean }>(
        "POST",
        "/api/internal/pubsub/publish",
        {
          topic: "conversation_note_analysis",
          key: props.analysisKey,
          data: {},
        },
      );
      setError(undefined);
      setState({ phase: "waiting", after, message: published.id, deduplicated: published.deduplicated });
    } catch (e) {
      setError(asApiError(e));
    }
  }

  async function tick() {
    try {
      await api("POST", "/api/tick/runners");
      setError(undefined);
    } catch (e) {
      setError(asApiError(e));
    }
  }

  return (
    <section aria-labelledby="item-relabel-heading" class="item-relabel">
      <h2 id="item-relabel-heading">Re-label</h2>
      <p class="muted">
        Publishes this item to <code>conversation_note_analysis</code>, as the runbook does, and shows the run
        when it lands.
      </p>
      <div class="actions">
        <button
          type="button"
          class="primary"
          disabled={state.phase === "waiting"}
          onClick={() => void relabel()}
        >
          Re-label
        </button>
        {state.phase === "waiting" && slow ? (
          <button type="button" onClick={() => void tick()}>
            Tick the runners
          </button>
        ) : null}
      </div>
      <div aria-live="polite" class="item-relabel-result">
        {state.phase === "waiting" ? (
          <p>
            Message #{state.message} {state.deduplicated ? "(already pending) " : ""}published; waiting for
            the analysis…
            {slow ? " No run yet: if no runner is running, tick them." : ""}
          </p>
        ) : null}
        {state.phase === "done" ? (
          <div class="notice">
            Re-labeled: <HistoryItem entry={state.run} />
          </div>
        ) : null}
      </div>
      <Problem error={error} />
    </section>
  );
}
