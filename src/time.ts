import { AppError } from "./errors.js";

/**
 * The one timestamp parser, for bodies and query strings alike. Timestamps are
 * stored as epoch milliseconds (a BIGINT on both backends: sortable, compact,
 * no time-zone surprises) and written out as ISO-8601 UTC.
 */

const MIN_MS = -62135596800000; // 0001-01-01T00:00:00.000Z
const MAX_MS = 253402300799999; // 9999-12-31T23:59:59.999Z
/** Epoch values below this are almost certainly seconds, not milliseconds (10^11 ms is 1973). */
const SECONDS_LOOKALIKE = 1e11;

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;

export interface ParseOptions {
  /** A date-only value means the end of that day (for inclusive upper bounds such as `until`). */
  endOfDay?: boolean;
}

function invalid(field: string, why: string): AppError {
  return new AppError("invalid_timestamp", `${field}: ${why}`, { field });
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}

/** Parses ISO-8601 (no zone means UTC) or epoch milliseconds into epoch milliseconds. */
export function parseTimestamp(input: unknown, field: string, options: ParseOptions = {}): number {
  if (typeof input === "number") return checkEpoch(input, field);
  if (typeof input !== "string") throw invalid(field, "expected an ISO-8601 string or epoch milliseconds");
  const text = input.trim();
  // Signed: epoch ms before 1970 are accepted as a number, so they are as a string too.
  if (/^-?\d+$/.test(text)) return checkEpoch(Number(text), field);
  const m = ISO.exec(text);
  if (!m) {
    throw invalid(
      field,
      `'${Array.from(input).slice(0, 40).join("")}' is not ISO-8601 (e.g. 2026-03-01 or 2026-03-01T12:30:00Z)`,
    );
  }
  const [, ys, mos, ds, hs, mis, ss, frac, , sign, ohs, oms] = m;
  const y = Number(ys);
  const mo = Number(mos);
  const d = Number(ds);
  if (y < 1) throw invalid(field, "the year must be between 0001 and 9999");
  if (mo < 1 || mo > 12) throw invalid(field, `month ${mos} does not exist`);
  if (d < 1 || d > daysInMonth(y, mo)) throw invalid(field, `${ys}-${mos} has no day ${ds}`);
  const dateOnly = hs === undefined;
  const h = dateOnly ? 0 : Number(hs);
  const mi = dateOnly ? 0 : Number(mis);
  const s = ss === undefined ? 0 : Number(ss);
  if (h > 23 || mi > 59 || s > 59) throw invalid(field, "the time of day is out of range");
  const ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  let value = utcMs(y, mo, d, h, mi, s, ms);
  if (dateOnly && options.endOfDay) value += 86_400_000 - 1;
  if (sign !== undefined) {
    const offH = Number(ohs);
    const offM = Number(oms);
    if (offH > 14 || offM > 59) throw invalid(field, "the UTC offset is out of range");
    value -= (sign === "+" ? 1 : -1) * (offH * 60 + offM) * 60_000;
  }
  if (value < MIN_MS || value > MAX_MS) throw invalid(field, "the year must be between 0001 and 9999");
  return value;
}

function checkEpoch(value: number, field: string): number {
  if (!Number.isSafeInteger(value)) throw invalid(field, "epoch milliseconds must be a whole number");
  if (Math.abs(value) < SECONDS_LOOKALIKE) {
    throw invalid(
      field,
      `${value} looks like epoch seconds; send epoch milliseconds (${value}000) or an ISO-8601 timestamp`,
    );
  }
  if (value < MIN_MS || value > MAX_MS) throw invalid(field, "the year must be between 0001 and 9999");
  return value;
}

export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}
