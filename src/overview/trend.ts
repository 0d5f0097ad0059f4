import { sql } from "kysely";
import type { Executor } from "../db/database.js";
import { AppError } from "../errors.js";
import type { ItemType } from "../labels/assignments.js";
import { toIso } from "../time.js";

export type Bucket = "hour" | "day" | "week";

/** More buckets than a chart can show are refused (400), not truncated. */
export const MAX_BUCKETS = 1000;
/** Labels one trend request may ask for. */
export const MAX_TREND_LABELS = 50;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WIDTH: Record<Bucket, number> = { hour: HOUR, day: DAY, week: 7 * DAY };
/** Weeks start on Monday, 00:00 UTC (ISO 8601): 1970-01-05 was a Monday. */
const ORIGIN: Record<Bucket, number> = { hour: 0, day: 0, week: 4 * DAY };

/** The start (UTC) of the bucket holding `ms`. */
export function bucketStart(ms: number, bucket: Bucket): number {
  const width = WIDTH[bucket];
  const origin = ORIGIN[bucket];
  return Math.floor((ms - origin) / width) * width + origin;
}

export interface TrendQuery {
  labels: string[];
  from: number;
  until: number;
  bucket: Bucket;
  /** One kind, or both if absent. */
  type?: ItemType;
}

export interface Trend {
  from: string;
  until: string;
  bucket: Bucket;
  /** Each bucket's start (UTC), oldest first; the counts of every series follow this order. */
  buckets: string[];
  series: { label: string; counts: number[]; total: number }[];
}

/** The first bucket's start and how many buckets cover [from, until]; too many is a 400. */
export function planBuckets(from: number, until: number, bucket: Bucket): { first: number; count: number } {
  const first = bucketStart(from, bucket);
  const count = (bucketStart(until, bucket) - first) / WIDTH[bucket] + 1;
  if (count > MAX_BUCKETS) {
    throw new AppError(
      "validation_failed",
      `from–until spans ${count} ${bucket} buckets; at most ${MAX_BUCKETS} are returned: narrow the range or use a wider bucket`,
      { buckets: count, max_buckets: MAX_BUCKETS },
    );
  }
  return { first, count };
}

/**
 * For each label, how many items carrying it had their last activity
 * (updated_at; a note's latest version) in each bucket of [from, until]
 * (inclusive; the first and last bucket hold only the part of them inside the
 * range). One grouped query per item kind: the label index
 * (label, item_type, item_id) finds the label's items, each joined to its
 * row by primary key; the bucket is integer division of epoch milliseconds,
 * counted from the first bucket's start so it is never negative.
 */
export async function labelTrend(ex: Executor, query: TrendQuery): Promise<Trend> {
  const { first, count } = planBuckets(query.from, query.until, query.bucket);
  const width = WIDTH[query.bucket];
  const series = new Map(query.labels.map((label) => [label, new Array<number>(count).fill(0)]));
  const kinds: ItemType[] = query.type ? [query.type] : ["conversation", "note"];
  if (query.labels.length > 0) {
    for (const kind of kinds) {
      const table = kind === "conversation" ? "conversations" : "notes";
      const idColumn = kind === "conversation" ? "fs_id" : "note_id";
      const rows = await sql<{ label: string; b: number | string; n: number | string }>`
        select l.label, (i.updated_at - (${sql.lit(first)})) / ${sql.lit(width)} as b, count(*) as n
        from label_assignments l join ${sql.table(table)} i on i.${sql.ref(idColumn)} = l.item_id
        where l.label in (${sql.join(query.labels)}) and l.item_type = ${kind}
          and i.updated_at >= ${query.from} and i.updated_at <= ${query.until}
        group by l.label, (i.updated_at - (${sql.lit(first)})) / ${sql.lit(width)}`.execute(ex);
      for (const r of rows.rows) {
        const counts = series.get(r.label);
        const b = Number(r.b);
        if (counts && b >= 0 && b < count) counts[b] = (counts[b] ?? 0) + Number(r.n);
      }
    }
  }
  return {
    from: toIso(query.from),
    until: toIso(query.until),
    bucket: query.bucket,
    buckets: Array.from({ length: count }, (_, i) => toIso(first + i * width)),
    series: [...series].map(([label, counts]) => ({
      label,
      counts,
      total: counts.reduce((sum, n) => sum + n, 0),
    })),
  };
}
