/** Dates as the range forms show them and the API reads them. */

export const DAY_MS = 86_400_000;

/** The runbook's default range: the last 30 days. */
export const DEFAULT_DAYS = 30;

const pad = (n: number) => String(n).padStart(2, "0");

/** A moment as a datetime-local input's value: the browser's own zone, to the minute. */
export function localInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** YYYY-MM-DD of a moment in UTC, the zone of the API's date-only bounds. */
export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A datetime-local value (local time) as the ISO instant the API reads; "" stays "" (the API's default). */
export function isoOf(local: string): string {
  if (local === "") return "";
  const ms = new Date(local).getTime();
  return Number.isNaN(ms) ? local : new Date(ms).toISOString();
}
