import { useState } from "preact/hooks";
import { query } from "../api";
import { useApi } from "../use-api";
import { DAY_MS, DEFAULT_DAYS, utcDay } from "./dates";
import { PALETTE, TrendChart } from "./overview-chart";
import type { LabelCounts, Trend } from "./overview-types";
import { Problem } from "./problem";
import { FromUntilFields } from "./range-fields";
import { count } from "./time";

/** Lines a reader can tell apart; the API takes up to 50, a chart shows this many well. */
const MAX_LINES = PALETTE.length;
const DEFAULT_LINES = 5;
const REFRESH_MS = 5000;

type Bucket = Trend["bucket"];

/**
 * Items per label over time: the reader picks the labels (the top ones by
 * default), the range (From/Until, the last 30 days by default) and the
 * bucket. The chart polls like the counts, so it moves while work runs.
 */
export function OverviewTrend({ labels }: { labels: LabelCounts[] }) {
  const [picked, setPicked] = useState<string[]>();
  // Days in UTC, the zone of the API's date-only bounds and of the buckets.
  const [from, setFrom] = useState(() => utcDay(Date.now() - DEFAULT_DAYS * DAY_MS));
  const [until, setUntil] = useState(() => utcDay(Date.now()));
  const [bucket, setBucket] = useState<Bucket>("day");

  // Until the reader chooses, the top labels of the moment.
  const chosen = picked ?? labels.slice(0, DEFAULT_LINES).map((l) => l.name);
  const path =
    chosen.length === 0 || from === "" || until === ""
      ? undefined
      : `/api/labels/trend${query({ labels: chosen.join(","), from, until, bucket })}`;
  const trend = useApi<Trend>(path, REFRESH_MS);

  function toggle(name: string, on: boolean) {
    setPicked(on ? [...chosen, name] : chosen.filter((n) => n !== name));
  }

  return (
    <section aria-labelledby="trend-heading">
      <h2 id="trend-heading">Trend</h2>
      <div class="trend-controls">
        <div class="row">
          <FromUntilFields
            id="trend"
            kind="date"
            from={from}
            until={until}
            bounded
            onFrom={setFrom}
            onUntil={setUntil}
          />
          <div class="field">
            <label for="trend-bucket">Per</label>
            <select
              id="trend-bucket"
              value={bucket}
              onChange={(e) => setBucket(e.currentTarget.value as Bucket)}
            >
              <option value="hour">hour</option>
              <option value="day">day</option>
              <option value="week">week</option>
            </select>
          </div>
        </div>
      </div>
      <Problem error={trend.error} />
      {path === undefined ? (
        <p class="muted">Choose at least one label and both dates to see a trend.</p>
      ) : trend.data ? (
        <TrendView trend={trend.data} />
      ) : null}
      <fieldset class="trend-labels">
        <legend>
          Labels <span class="muted">(up to {MAX_LINES})</span>
        </legend>
        {labels.length === 0 ? <p class="muted">No item carries a label yet.</p> : null}
        <ul>
          {labels.map((l) => {
            const on = chosen.includes(l.name);
            return (
              <li key={l.name}>
                <label>
                  <input
                    type="checkbox"
                    checked={on}
                    disabled={!on && chosen.length >= MAX_LINES}
                    onChange={(e) => toggle(l.name, e.currentTarget.checked)}
                  />{" "}
                  {l.name}
                </label>
              </li>
            );
          })}
        </ul>
      </fieldset>
    </section>
  );
}

function TrendView({ trend }: { trend: Trend }) {
  const names = trend.series.map((s) => s.label);
  const name = `Items per label per ${trend.bucket} (UTC), ${trend.from.slice(0, 10)} to ${trend.until.slice(0, 10)}: ${names.join(", ")}`;
  const unit =
    trend.bucket === "hour"
      ? (iso: string) => iso.slice(0, 16).replace("T", " ")
      : (iso: string) => iso.slice(0, 10);
  return (
    <>
      <TrendChart trend={trend} name={name} />
      <details class="trend-table">
        <summary>The trend as a table</summary>
        <table>
          <caption class="sr-only">{name}</caption>
          <thead>
            <tr>
              <th scope="col">
                {trend.bucket === "week"
                  ? "Week of (UTC)"
                  : `${trend.bucket === "hour" ? "Hour" : "Day"} (UTC)`}
              </th>
              {names.map((n) => (
                <th scope="col" class="num" key={n}>
                  {n}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {trend.buckets.map((b, i) => (
              <tr key={b}>
                <th scope="row">{unit(b)}</th>
                {trend.series.map((s) => (
                  <td class="num" key={s.label}>
                    {count(s.counts[i])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              {trend.series.map((s) => (
                <td class="num" key={s.label}>
                  {count(s.total)}
                </td>
              ))}
            </tr>
          </tfoot>
        </table>
      </details>
    </>
  );
}
