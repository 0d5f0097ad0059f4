import pg from "pg";

/**
 * Each run of each contender gets its own schema in the one database, created
 * here and dropped afterwards, so no run sees another's rows, indexes or bloat.
 */
export async function withSchema<T>(
  adminUrl: string,
  prefix: string,
  fn: (schema: string) => Promise<T>,
): Promise<T> {
  const schema = `qbench_${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create schema ${schema}`);
    return await fn(schema);
  } finally {
    await admin.query(`drop schema if exists ${schema} cascade`).catch(() => {});
    await admin.end();
  }
}

/** The same database with `schema` first on the search path (for relabel, which uses unqualified names). */
export function urlWithSearchPath(url: string, schema: string): string {
  const withPath = new URL(url);
  withPath.searchParams.set("options", `-c search_path=${schema}`);
  return withPath.toString();
}

/** Fails fast, with a readable message, when PostgreSQL is not reachable. */
export async function checkReachable(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>("show server_version");
    return rows[0]?.server_version ?? "unknown";
  } finally {
    await client.end();
  }
}
