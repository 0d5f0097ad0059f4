const formatter = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A moment in the browser's own zone; the exact UTC value on hover and in the markup. */
export function Time({ iso }: { iso: string | undefined | null }) {
  if (iso === undefined || iso === null) return <span>—</span>;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return <span>{iso}</span>;
  return (
    <time dateTime={date.toISOString()} title={date.toISOString()}>
      {formatter.format(date)}
    </time>
  );
}

/** Seconds, minutes, hours or days, whichever reads best. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

export const count = (n: number | undefined) => (n === undefined ? "—" : n.toLocaleString());
