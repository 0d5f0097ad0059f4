/**
 * Splits rows so one statement stays well inside every backend's limit on
 * bind parameters (SQLite 32,766; PostgreSQL 65,535), whatever the batch size.
 */
export const MAX_PARAMS_PER_STATEMENT = 10_000;

export function chunks<T>(items: T[], paramsPerItem = 1): T[][] {
  const size = Math.max(1, Math.floor(MAX_PARAMS_PER_STATEMENT / paramsPerItem));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
