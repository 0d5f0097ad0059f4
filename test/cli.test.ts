import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseDatabaseUrl } from "../src/config.js";
import { openDatabase } from "../src/db/database.js";
import { runCli, startServe } from "./helpers/cli.js";
import { BACKENDS, freshPostgresUrl, freshSqliteUrl, POSTGRES_SKIPPED } from "./helpers/db.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function freshUrl(backend: string): Promise<string> {
  const fresh = backend === "sqlite" ? freshSqliteUrl() : await freshPostgresUrl();
  cleanups.push(fresh.drop);
  return fresh.url;
}

function tempFile(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "relabel-cli-")), name);
  writeFileSync(path, content);
  return path;
}

describe("relabel serve on an empty folder", () => {
  it("creates the database and a private token file, prints only the file's path, and stops on SIGTERM", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "relabel-fresh-"));
    const served = await startServe({ DATABASE_URL: undefined, RELABEL_API_TOKEN: undefined }, cwd);
    const tokenPath = join(cwd, "data", "relabel.token");
    try {
      expect(existsSync(join(cwd, "data", "relabel.db"))).toBe(true);
      expect(statSync(tokenPath).mode & 0o777).toBe(0o600);
      const token = readFileSync(tokenPath, "utf8").trim();
      expect(token.length).toBeGreaterThanOrEqual(32);
      // Not a TTY here: the log names the file, never the token.
      expect(served.stderr()).toContain(tokenPath);
      expect(served.stderr()).not.toContain(token);

      expect((await fetch(`${served.baseUrl}/healthz`)).status).toBe(200);
      expect((await fetch(`${served.baseUrl}/readyz`)).status).toBe(200);
      expect((await fetch(`${served.baseUrl}/api/conversations`)).status).toBe(401);
      const authed = await fetch(`${served.baseUrl}/api/conversations`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(authed.status).toBe(200);
    } finally {
      expect(await served.stop()).toBe(0);
    }
    // A restart keeps the same token.
    const again = await startServe({ DATABASE_URL: undefined, RELABEL_API_TOKEN: undefined }, cwd);
    expect(readFileSync(tokenPath, "utf8").trim()).toMatch(/^\S{32,}$/);
    expect(await again.stop()).toBe(0);
  });

  it("--sample loads the example taxonomy and sample items, and every example label ends up on some item", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "relabel-sample-"));
    const served = await startServe(
      { DATABASE_URL: undefined, RELABEL_API_TOKEN: "sample-token-0123456789" },
      cwd,
      ["--sample"],
    );
    try {
      const headers = { authorization: "Bearer sample-token-0123456789" };
      const taxonomy = (await (await fetch(`${served.baseUrl}/api/taxonomy`, { headers })).json()) as {
        labels: { name: string }[];
      };
      const names = (taxonomy.labels as { name: string }[]).map((l) => l.name).sort();
      expect(names.length).toBeGreaterThanOrEqual(15);
      let seen: string[] = [];
      // Until the sample is labeled (the server's runners work through it), as long as that takes.
      const deadline = Date.now() + 60_000;
      while (seen.length < names.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        const stats = (await (await fetch(`${served.baseUrl}/api/labels/stats`, { headers })).json()) as {
          labels: { name: string }[];
        };
        seen = (stats.labels as { name: string }[]).map((l) => l.name).sort();
      }
      expect(seen).toEqual(names);
      const topics = (await (
        await fetch(`${served.baseUrl}/api/internal/pubsub/topics`, { headers })
      ).json()) as { topics: { failed: number }[] };
      expect(topics.topics.every((t: { failed: number }) => t.failed === 0)).toBe(true);
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });

  it("refuses bad configuration with a message that names the variable", async () => {
    const r = await runCli(["serve"], { PORT: "70000", DATABASE_URL: "sqlite:/tmp/never-used.db" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PORT/);
    const host = await runCli(["serve", "--host", "0.0.0.0"], {
      RELABEL_API_TOKEN: undefined,
      DATABASE_URL: "sqlite:/tmp/x.db",
    });
    expect(host.code).toBe(2);
    expect(host.stderr).toMatch(/RELABEL_API_TOKEN.*0\.0\.0\.0/);
  });

  it.skipIf(POSTGRES_SKIPPED)("requires RELABEL_API_TOKEN on PostgreSQL", async () => {
    const url = await freshUrl("postgres");
    const r = await runCli(["serve"], { DATABASE_URL: url, RELABEL_API_TOKEN: undefined });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/RELABEL_API_TOKEN: required with PostgreSQL/);
  });
});

describe.each(BACKENDS)("processes sharing one %s database", (backend) => {
  it("two migrate processes at once apply each migration exactly once", async () => {
    const url = await freshUrl(backend);
    const results = await Promise.all([
      runCli(["migrate"], { DATABASE_URL: url }),
      runCli(["migrate"], { DATABASE_URL: url }),
    ]);
    expect(
      results.map((r) => r.code),
      results.map((r) => r.stderr).join("\n"),
    ).toEqual([0, 0]);
    const database = openDatabase(parseDatabaseUrl(url));
    try {
      const rows = await database.db.selectFrom("relabel_migrations").select("id").orderBy("id").execute();
      expect(rows.map((r) => r.id)).toEqual(rows.map((_, i) => i + 1));
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await database.close();
    }
  });

  it("two import processes appending versions to the same notes leave no gaps and no duplicates", async () => {
    const url = await freshUrl(backend);
    await runCli(["migrate"], { DATABASE_URL: url });
    const file = (who: string) =>
      tempFile(
        `${who}.ndjson`,
        Array.from({ length: 300 }, (_, i) =>
          JSON.stringify({ type: "note", note_id: `n${i % 5}`, text: `${who} ${i}` }),
        ).join("\n"),
      );
    const [a, b] = await Promise.all([
      runCli(["import", file("a")], { DATABASE_URL: url }),
      runCli(["import", file("b")], { DATABASE_URL: url }),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.stderr + b.stderr).not.toMatch(/rejected/);
    expect(a.stdout).toMatch(
      /imported 0 conversations and 300 note versions; 0 unchanged skipped; 0 lines rejected/,
    );
    const database = openDatabase(parseDatabaseUrl(url));
    try {
      for (let n = 0; n < 5; n++) {
        const versions = await database.db
          .selectFrom("note_versions")
          .select("version")
          .where("note_id", "=", `n${n}`)
          .orderBy("version")
          .execute();
        expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
      }
    } finally {
      await database.close();
    }
  });

  it("import exits 1 and names the line when a line is rejected", async () => {
    const url = await freshUrl(backend);
    const path = tempFile("bad.ndjson", '{"type":"conversation","fs_id":"ok"}\n{"type":"conversation"}\n');
    const r = await runCli(["import", path], { DATABASE_URL: url });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^line 2: rejected: fs_id/m);
    expect(r.stdout).toMatch(/imported 1 conversations/);
  });
});
