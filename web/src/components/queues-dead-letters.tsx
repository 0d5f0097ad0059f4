import { api } from "../api";
import { Time } from "./time";

export interface DeadLetter {
  id: number;
  topic: string;
  key: Record<string, unknown>;
  data: Record<string, unknown>;
  attempts: number;
  last_error: string | null;
  created_at: string;
  failed_at: string | null;
}

export interface Redriven {
  redriven: number;
  folded: number;
}

/** The key as the API names it: canonical JSON, shown as text. */
export const keyText = (key: Record<string, unknown>) => JSON.stringify(key);

/**
 * Dead letters as rows: a labeled checkbox each (and one for the whole page),
 * key, attempts and last error, and a Redrive button per row. The selection
 * and the redrive requests belong to the caller.
 */
export function QueuesDeadLetters(props: {
  letters: DeadLetter[];
  selected: Set<number>;
  onSelect: (ids: number[], on: boolean) => void;
  onRedrive: (ids: number[]) => Promise<void>;
}) {
  const { letters, selected } = props;
  const all = letters.length > 0 && letters.every((l) => selected.has(l.id));
  return (
    <table class="dead-letters">
      <thead>
        <tr>
          <th scope="col" class="select">
            <input
              type="checkbox"
              id="dead-select-all"
              aria-label="Select all dead letters on this page"
              checked={all}
              onChange={(e) =>
                props.onSelect(
                  letters.map((l) => l.id),
                  e.currentTarget.checked,
                )
              }
            />
          </th>
          <th scope="col" class="num">
            ID
          </th>
          <th scope="col">Topic</th>
          <th scope="col">Key</th>
          <th scope="col" class="num">
            Attempts
          </th>
          <th scope="col">Last error</th>
          <th scope="col">Failed</th>
          <th scope="col">
            <span class="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {letters.map((l) => (
          <tr key={l.id} data-id={l.id}>
            <td class="select">
              <input
                type="checkbox"
                aria-label={`Select dead letter ${l.id}`}
                checked={selected.has(l.id)}
                onChange={(e) => props.onSelect([l.id], e.currentTarget.checked)}
              />
            </td>
            <td class="num">{l.id}</td>
            <td class="code">{l.topic}</td>
            <td>
              <code data-field="key">{keyText(l.key)}</code>
            </td>
            <td class="num" data-field="attempts">
              {l.attempts}
            </td>
            <td>
              <pre class="dead-error" data-field="last_error">
                {l.last_error ?? "—"}
              </pre>
            </td>
            <td>
              <Time iso={l.failed_at} />
            </td>
            <td>
              <RedriveOne id={l.id} onRedrive={props.onRedrive} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One row's Redrive: no confirmation, it only gives one message another set of attempts. */
function RedriveOne({ id, onRedrive }: { id: number; onRedrive: (ids: number[]) => Promise<void> }) {
  return (
    <button type="button" aria-label={`Redrive dead letter ${id}`} onClick={() => void onRedrive([id])}>
      Redrive
    </button>
  );
}

/** POST /api/internal/pubsub/dead-letters/redrive: the given ids, or all (of a topic). */
export async function redrive(selection: { ids?: number[]; topic?: string }): Promise<Redriven> {
  return api<Redriven>("POST", "/api/internal/pubsub/dead-letters/redrive", selection);
}
