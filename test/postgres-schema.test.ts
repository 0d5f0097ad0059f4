import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterEach, describe, expect, inject, it } from "vitest";
import { parseDatabaseUrl } from "../src/config.js";
import { openDatabase } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { searchPathSchemas } from "../src/db/postgres.js";
import { runCli } from "./helpers/cli.js";
import { POSTGRES_SKIPPED } from "./helpers/db.js";

/**
 * Issue 19 item 9: a DATABASE_URL that chooses its schema with
 * `?options=-c search_path=<schema>` migrates although nobody has created the
 * schema (PostgreSQL said "no schema has been selected to create in").
 */
const pgUrl = inject("pgUrl");

async function admin<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** The URL with its search_path set as written (quotes and all). */
function urlWithSearchPath(searchPath: string): string {
  const url = new URL(pgUrl);
  url.searchParams.set("options", `-c search_path=${searchPath}`);
  return url.toString();
}

async function tablesIn(schema: string): Promise<string[]> {
  const rows = await admin<{ table_name: string }>(
    "select table_name from information_schema.tables where table_schema = $1 order by table_name",
    [schema],
  );
  return rows.map((r) => r.table_name);
}

describe("search_path parsing", () => {
  it("reads names as PostgreSQL does: unquoted folded to lower case, quoted kept", () => {
    expect(searchPathSchemas("relabel")).toEqual(["relabel"]);
    expect(searchPathSchemas(" Relabel , public")).toEqual(["relabel", "public"]);
    expect(searchPathSchemas('"$user", public')).toEqual(["$user", "public"]);
    expect(searchPathSchemas('"My ""Odd"", Schema",public')).toEqual(['My "Odd", Schema', "public"]);
    expect(searchPathSchemas("")).toEqual([]);
  });
});

describe.skipIf(POSTGRES_SKIPPED)("postgres: migrate creates the search_path's schema", () => {
  const created: string[] = [];
  afterEach(async () => {
    for (const schema of created.splice(0)) {
      await admin(`drop schema if exists "${schema.replaceAll('"', '""')}" cascade`);
    }
  });

  it("relabel migrate, with a schema nobody created, creates it and its tables", async () => {
    const schema = `i19_${randomBytes(5).toString("hex")}`;
    created.push(schema);
    const result = await runCli(["migrate"], { DATABASE_URL: urlWithSearchPath(schema) });
    expect(result.stderr).not.toMatch(/no schema has been selected/);
    expect(result.code).toBe(0);
    const tables = await tablesIn(schema);
    expect(tables).toContain("conversations");
    expect(tables).toContain("relabel_migrations");
    // Nothing leaked into public.
    expect(await tablesIn("public")).not.toContain("relabel_migrations");
  });

  it("quotes the name: a mixed-case, quoted schema is created as written", async () => {
    const schema = `I19 Mixed_${randomBytes(4).toString("hex")}`;
    created.push(schema);
    // In `options`, a backslash keeps the space inside the one -c argument.
    const database = openDatabase(parseDatabaseUrl(urlWithSearchPath(`"${schema.replace(" ", "\\ ")}"`)));
    try {
      const ran = await migrate(database);
      expect(ran.length).toBeGreaterThan(0);
      // A second run (and a second process) finds the schema and applies nothing.
      expect(await migrate(database)).toEqual([]);
    } finally {
      await database.close();
    }
    expect(await tablesIn(schema)).toContain("reanalysis_jobs");
  });

  it("two processes at once both succeed", async () => {
    const schema = `i19_${randomBytes(5).toString("hex")}`;
    created.push(schema);
    const env = { DATABASE_URL: urlWithSearchPath(schema) };
    const results = await Promise.all([runCli(["migrate"], env), runCli(["migrate"], env)]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(await tablesIn(schema)).toContain("notes");
  });
});
