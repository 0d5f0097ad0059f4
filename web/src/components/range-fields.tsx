import { DAY_MS, DEFAULT_DAYS, localInput } from "./dates";

export type RangeType = "both" | "conversations" | "notes";

/** A range of items as the reanalysis request reads it: from, until (datetime-local values) and type. */
export interface Range {
  from: string;
  until: string;
  type: RangeType;
}

/** The runbook's defaults: the last 30 days, conversations and notes. */
export function defaultRange(now = Date.now()): Range {
  return { from: localInput(now - DEFAULT_DAYS * DAY_MS), until: localInput(now), type: "both" };
}

/**
 * From and Until, as `.field`s for the caller's `.row`: `kind` "date" for
 * whole days, "datetime-local" for instants in the browser's zone. `bounded`
 * keeps each input's picker on its side of the other. `id` keeps two such
 * forms' fields apart.
 */
export function FromUntilFields(props: {
  id: string;
  kind: "date" | "datetime-local";
  from: string;
  until: string;
  bounded?: boolean;
  onFrom: (value: string) => void;
  onUntil: (value: string) => void;
}) {
  const { id, kind, from, until, bounded } = props;
  return (
    <>
      <div class="field">
        <label for={`${id}-from`}>From</label>
        <input
          id={`${id}-from`}
          type={kind}
          value={from}
          max={bounded ? until : undefined}
          onInput={(e) => props.onFrom(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for={`${id}-until`}>Until</label>
        <input
          id={`${id}-until`}
          type={kind}
          value={until}
          min={bounded ? from : undefined}
          onInput={(e) => props.onUntil(e.currentTarget.value)}
        />
      </div>
    </>
  );
}

/**
 * Type: conversations, notes, or both. `both` is the value that stands for
 * both: "both" where the form sends it, "" where the API's default is left
 * to apply.
 */
export function TypeField<T extends string>(props: {
  id: string;
  value: T;
  both: T;
  onChange: (type: T) => void;
}) {
  return (
    <div class="field">
      <label for={`${props.id}-type`}>Type</label>
      <select
        id={`${props.id}-type`}
        value={props.value}
        onChange={(e) => props.onChange(e.currentTarget.value as T)}
      >
        <option value={props.both}>Both</option>
        <option value="conversations">Conversations</option>
        <option value="notes">Notes</option>
      </select>
    </div>
  );
}

/** From, Until and Type in a row of their own, for a form that edits a whole Range. */
export function RangeFields({
  id,
  range,
  onChange,
}: {
  id: string;
  range: Range;
  onChange: (r: Range) => void;
}) {
  return (
    <div class="row">
      <FromUntilFields
        id={id}
        kind="datetime-local"
        from={range.from}
        until={range.until}
        onFrom={(from) => onChange({ ...range, from })}
        onUntil={(until) => onChange({ ...range, until })}
      />
      <TypeField id={id} value={range.type} both="both" onChange={(type) => onChange({ ...range, type })} />
    </div>
  );
}
