import type { ComponentChildren } from "preact";
import { useRef } from "preact/hooks";
import { issueLine } from "./taxonomy-lines";
import type { TaxonomyIssue } from "./taxonomy-types";

const ISSUES_ID = "taxonomy-issues";

/** Selects line `n` (1-based) of the textarea and scrolls it into view. */
function showLine(area: HTMLTextAreaElement, n: number) {
  const lines = area.value.split("\n");
  const start = lines.slice(0, n - 1).reduce((sum, line) => sum + line.length + 1, 0);
  area.focus();
  area.setSelectionRange(start, start + (lines[n - 1]?.length ?? 0));
  const lineHeight = Number.parseFloat(getComputedStyle(area).lineHeight) || 20;
  area.scrollTop = Math.max(0, (n - 4) * lineHeight);
}

interface Group {
  label: string | null;
  line: number | undefined;
  issues: (TaxonomyIssue & { at: number | undefined })[];
}

/** The API's issues grouped by label, in the order the server gave them, each with where it is in the text. */
function groups(text: string, issues: readonly TaxonomyIssue[]): Group[] {
  const lines = text.split("\n");
  const byLabel = new Map<string | null, Group>();
  for (const issue of issues) {
    let group = byLabel.get(issue.label);
    if (!group) {
      group = {
        label: issue.label,
        line: issueLine(lines, { ...issue, field: "name", line: undefined }),
        issues: [],
      };
      byLabel.set(issue.label, group);
    }
    group.issues.push({ ...issue, at: issueLine(lines, issue) });
  }
  return [...byLabel.values()];
}

/**
 * The taxonomy as text (YAML or JSON) in a plain textarea, and beside it the
 * problems the API found, grouped by the label they concern; each names the
 * line and selects it in the editor when pressed.
 */
export function TaxonomyEditor(props: {
  text: string;
  onText: (text: string) => void;
  issues: readonly TaxonomyIssue[] | undefined;
  children?: ComponentChildren;
}) {
  const area = useRef<HTMLTextAreaElement>(null);
  const found = props.issues && props.issues.length > 0 ? groups(props.text, props.issues) : undefined;
  const go = (line: number) => area.current && showLine(area.current, line);
  return (
    <div class="taxonomy-editor">
      <div class="field">
        <label for="taxonomy-text">Taxonomy (YAML or JSON)</label>
        <textarea
          id="taxonomy-text"
          ref={area}
          rows={24}
          spellcheck={false}
          value={props.text}
          aria-invalid={found ? true : undefined}
          aria-describedby={found ? ISSUES_ID : "taxonomy-format"}
          onInput={(e) => props.onText(e.currentTarget.value)}
        />
        <p id="taxonomy-format" class="muted">
          The whole taxonomy: <code>labels:</code> with each label's name, description, applies_to and rules (
          <a href="/docs">API docs</a>).
        </p>
        {props.children}
      </div>
      <section id={ISSUES_ID} class="taxonomy-issues" aria-label="Problems" aria-live="polite">
        {found ? (
          <>
            <h3 class="removed">
              {props.issues?.length.toLocaleString()} problem{props.issues?.length === 1 ? "" : "s"}; the
              current taxonomy stays
            </h3>
            <ul>
              {found.map((group) => (
                <li key={group.label ?? ""} data-issue-label={group.label ?? ""}>
                  <strong>{group.label === null ? "The document" : <code>{group.label}</code>}</strong>
                  {group.line !== undefined ? (
                    <>
                      {" "}
                      <button type="button" class="link" onClick={() => go(group.line as number)}>
                        line {group.line}
                      </button>
                    </>
                  ) : null}
                  <ul>
                    {group.issues.map((issue, i) => (
                      <li key={`${i}:${issue.field}`}>
                        {issue.field ? <code>{issue.field}</code> : null}
                        {issue.field ? ": " : null}
                        {issue.message}
                        {issue.at !== undefined && issue.at !== group.line ? (
                          <>
                            {" "}
                            <button type="button" class="link" onClick={() => go(issue.at as number)}>
                              line {issue.at}
                            </button>
                          </>
                        ) : null}
                      </li>
                    ))}
                  </ul>
                </li>
              ))}
            </ul>
          </>
        ) : (
          <p class="muted">Problems the server finds in the text are listed here, beside their labels.</p>
        )}
      </section>
    </div>
  );
}
