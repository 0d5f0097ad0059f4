import { useEffect, useState } from "preact/hooks";
import { get } from "../api";
import { useAction } from "../use-action";
import { Highlighted, scrollableProps, spansIn } from "./item-highlight";
import { type HistoryEntry, itemPath, type Note, type NoteVersion } from "./item-types";
import { Problem } from "./problem";
import { Time } from "./time";

/** Older versions are fetched a page at a time: a note may have thousands. */
const PAGE = 10;

/**
 * A note's versions, newest first. The labels (and their evidence) belong to
 * the version the last applied analysis read, so only that version is marked.
 */
export function ItemNote({ note, history }: { note: Note; history: HistoryEntry[] | undefined }) {
  const [older, setOlder] = useState<NoteVersion[]>([]);
  const { busy, error, run } = useAction();
  const latest = note.latest_version;
  const labeled =
    history?.find((h) => h.kind === "analysis" && h.applied && h.note_version != null)?.note_version ??
    latest;

  const nextVersion = latest - 1 - older.length;
  /** Versions `from`, from - 1, … (a page of them), after those shown, or instead of them. */
  function load(from: number, replace: boolean) {
    return run(async () => {
      const wanted = Array.from({ length: Math.max(0, Math.min(PAGE, from)) }, (_, i) => from - i);
      const got = await Promise.all(
        wanted.map((v) => get<NoteVersion>(`${itemPath("note", note.note_id)}/versions/${v}`)),
      );
      setOlder((o) => (replace ? got : [...o, ...got]));
    });
  }
  // A new version arriving (or another note) starts the list afresh, with the first page of older versions.
  useEffect(() => {
    void load(latest - 1, true);
  }, [note.note_id, latest]);

  const versions: NoteVersion[] = [note, ...older];
  return (
    <section aria-labelledby="item-text-heading">
      <h2 id="item-text-heading">Versions</h2>
      <ol class="item-versions" reversed>
        {versions.map((v) => (
          <li key={v.version}>
            <article class="message" aria-label={`Version ${v.version}`}>
              <header>
                <span class="badge">version {v.version}</span>
                {v.version === latest ? <span>latest</span> : null}
                <Time iso={v.created_at} />
              </header>
              <div
                class="text"
                data-field="note"
                data-version={v.version}
                {...scrollableProps(v.text, `Text of version ${v.version}`)}
              >
                {v.version === labeled ? (
                  <Highlighted text={v.text} spans={spansIn(note.labels, "note", v.text)} />
                ) : (
                  v.text
                )}
              </div>
            </article>
          </li>
        ))}
      </ol>
      <Problem error={error} />
      {nextVersion >= 1 ? (
        <button type="button" disabled={busy} onClick={() => void load(nextVersion, false)}>
          Show older versions ({nextVersion} more)
        </button>
      ) : null}
    </section>
  );
}
