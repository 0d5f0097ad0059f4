import type { Range, RangeType } from "./taxonomy-types";

const DAY_MS = 86_400_000;
const pad = (n: number) => String(n).padStart(2, "0");

/** A moment as a datetime-local input's value: the browser's own zone, to the minute. */
export function localInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The runbook's defaults: the last 30 days, conversations and notes. */
export function defaultRange(now = Date.now()): Range {
  return { from: localInput(now - 30 * DAY_MS), until: localInput(now), type: "both" };
}

/** A datetime-local value (local time) as the ISO instant the API reads; "" stays "" (the API's default). */
export function isoOf(local: string): string {
  if (local === "") return "";
  const ms = new Date(local).getTime();
  return Number.isNaN(ms) ? local : new Date(ms).toISOString();
}

/** From, Until and Type, as the reanalysis request reads them; `id` keeps two such forms' fields apart. */
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
      <div class="field">
        <label for={`${id}-from`}>From</label>
        <input
          id={`${id}-from`}
          type="datetime-local"
          value={range.from}
          onInput={(e) => onChange({ ...range, from: e.currentTarget.value })}
        />
      </div>
      <div class="field">
        <label for={`${id}-until`}>Until</label>
        <input
          id={`${id}-until`}
          type="datetime-local"
          value={range.until}
          onInput={(e) => onChange({ ...range, until: e.currentTarget.value })}
        />
      </div>
      <div class="field">
        <label for={`${id}-type`}>Type</label>
        <select
          id={`${id}-type`}
          value={range.type}
          onChange={(e) => onChange({ ...range, type: e.currentTarget.value as RangeType })}
        >
          <option value="both">both</option>
          <option value="conversations">conversations</option>
          <option value="notes">notes</option>
        </select>
      </div>
    </div>
  );
}
