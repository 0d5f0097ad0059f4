import type { TargetedKeyboardEvent } from "preact";

/**
 * "Label name": a text input offering `names` (a datalist, `listId`) while
 * any other name may still be typed; the server names a typo in its answer.
 */
export function LabelNameField(props: {
  id: string;
  listId: string;
  names: string[];
  value: string;
  onInput: (value: string) => void;
  onKeyDown?: (event: TargetedKeyboardEvent<HTMLInputElement>) => void;
  maxLength?: number;
  describedBy?: string;
}) {
  return (
    <div class="field">
      <label for={props.id}>Label name</label>
      <input
        id={props.id}
        list={props.listId}
        value={props.value}
        autoComplete="off"
        maxLength={props.maxLength}
        aria-describedby={props.describedBy}
        onInput={(e) => props.onInput(e.currentTarget.value)}
        onKeyDown={props.onKeyDown}
      />
      <datalist id={props.listId}>
        {props.names.map((n) => (
          <option key={n} value={n} />
        ))}
      </datalist>
    </div>
  );
}
