import pg from "pg";
import type { TestProject } from "vitest/node";

/**
 * Decides once whether the PostgreSQL half of the suite runs. In CI an
 * unreachable PostgreSQL is a failure; elsewhere that half is skipped, loudly.
 */
export const DEFAULT_TEST_PG_URL = "postgres://postgres@127.0.0.1:5432/test";

export default async function setup(project: TestProject): Promise<void> {
  const url = process.env.RELABEL_TEST_PG_URL ?? DEFAULT_TEST_PG_URL;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("select 1");
    project.provide("pgUrl", url);
  } catch (err) {
    const why = `PostgreSQL at ${url.replace(/:[^:@/]*@/, ":***@")} is unreachable (${(err as Error).message})`;
    if (process.env.CI) throw new Error(`${why}; CI requires it`);
    console.warn(`\n*** ${why}: the PostgreSQL half of the suite is SKIPPED; only SQLite is tested ***\n`);
    project.provide("pgUrl", "");
  } finally {
    await client.end().catch(() => {});
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    pgUrl: string;
  }
}
