import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { insertConversations } from "./helpers/bulk.js";
import { CLI, runCli } from "./helpers/cli.js";
import { BACKENDS, type FreshDatabase, freshDatabase } from "./helpers/db.js";

/**
 * Issue 19, item 12: Ctrl-C on `import`, `drain` and `reanalyze --wait`, at
 * a terminal. Each runs in a pseudo-terminal (`script`), so it draws its
 * progress bar (which hides the cursor and turns line wrap off) as a person
 * sees it; once the bar shows work done, the test types Ctrl-C (ETX on the
 * terminal: the line discipline sends SIGINT to the command, as a keyboard
 * does). Bounded by what the commands promise, never by how fast they are.
 */

const CTRL_C = "\x03";
const CURSOR_SHOWN = "\x1b[?25h";
const LINE_WRAP_ON = "\x1b[?7h";
const INTERRUPTED = 130;

const TAXONOMY = { labels: [{ name: "billing/refund", rules: { keywords: ["refund"] } }] };

interface Interrupted {
  code: number | null;
  /** Everything the terminal received (stdout and stderr, as a person sees them). */
  output: string;
}

/** Runs `relabel ARGS` in a pseudo-terminal and types Ctrl-C once `ready(output)` holds. */
function interruptAtTerminal(
  args: string[],
  env: Record<string, string>,
  ready: (output: string) => boolean,
): Promise<Interrupted> {
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const command = [process.execPath, CLI, ...args].map(quote).join(" ");
  // -e: script exits with the command's status; -f: output as it comes.
  const child = spawn("script", ["-qefc", command, "/dev/null"], {
    env: { ...process.env, LOG_LEVEL: "warn", COLUMNS: "200", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  let typed = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no exit within 170 s (Ctrl-C ${typed ? "typed" : "never typed"}):\n${output}`));
    }, 170_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (!typed && ready(output)) {
        typed = true;
        child.stdin.write(CTRL_C);
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (!typed) reject(new Error(`finished before Ctrl-C could be typed:\n${output}`));
      else resolve({ code, output });
    });
  });
}

async function messageStates(fresh: FreshDatabase): Promise<Record<string, number>> {
  const rows = await fresh.database.db
    .selectFrom("messages")
    .select((eb) => ["state", eb.fn.countAll<number>().as("n")])
    .groupBy("state")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

describe.each(BACKENDS)("Ctrl-C at a terminal on %s", { timeout: 240_000 }, (backend) => {
  let fresh: FreshDatabase;
  let env: Record<string, string>;
  beforeEach(async () => {
    fresh = await freshDatabase(backend);
    env = { DATABASE_URL: fresh.url };
    const dir = mkdtempSync(join(tmpdir(), "relabel-interrupt-"));
    const taxonomy = join(dir, "taxonomy.json");
    writeFileSync(taxonomy, JSON.stringify(TAXONOMY));
    expect((await runCli(["taxonomy", "apply", taxonomy], env)).code).toBe(0);
  });
  afterEach(() => fresh.cleanup());

  const terminalRestored = (output: string) => {
    // The bar hid the cursor and turned line wrap off; both are back once it is interrupted.
    expect(output).toContain("\x1b[?25l");
    const hidden = output.lastIndexOf("\x1b[?25l");
    expect(output.lastIndexOf(CURSOR_SHOWN)).toBeGreaterThan(hidden);
    expect(output.lastIndexOf(LINE_WRAP_ON)).toBeGreaterThan(output.lastIndexOf("\x1b[?7l"));
  };

  it("import stops between batches, says how far it got, and leaves exactly that imported", async () => {
    const dir = mkdtempSync(join(tmpdir(), "relabel-interrupt-"));
    const file = join(dir, "big.ndjson");
    const lines = 40_000;
    writeFileSync(
      file,
      Array.from({ length: lines }, (_, i) =>
        JSON.stringify({
          type: "conversation",
          fs_id: `c-${i}`,
          messages: [{ role: "customer", text: `a refund for order ${i}` }],
        }),
      ).join("\n"),
    );
    const run = await interruptAtTerminal(["import", file], env, (out) => /\| [1-9]\d* imported/.test(out));
    expect(run.code, run.output).toBe(INTERRUPTED);
    terminalRestored(run.output);
    const said = /interrupted: imported (\d+) conversations/.exec(run.output);
    expect(said, run.output).not.toBeNull();
    const imported = Number(said?.[1]);
    expect(imported).toBeGreaterThan(0);
    expect(imported).toBeLessThan(lines);
    const stored = await fresh.database.db
      .selectFrom("conversations")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(imported);
    // Each imported item's analysis was queued with it, and nothing is claimed.
    expect(await messageStates(fresh)).toEqual({ pending: imported });
  });

  it("drain hands back the batch it holds: nothing left running, attempts not counted", async () => {
    await insertConversations(fresh.database, 12_000);
    expect((await runCli(["reanalyze", "--from", "2000-01-01"], env)).code).toBe(0);
    const run = await interruptAtTerminal(["drain"], env, (out) => /\| [1-9]\d*\/\d+ messages/.test(out));
    expect(run.code, run.output).toBe(INTERRUPTED);
    terminalRestored(run.output);
    expect(run.output).toMatch(/interrupted: \d+ messages processed; [1-9]\d* left in the queue/);
    const states = await messageStates(fresh);
    expect(states.running ?? 0, JSON.stringify(states)).toBe(0);
    expect(states.pending ?? 0).toBeGreaterThan(0);
    // What was handed back did not use up an attempt.
    const spent = await fresh.database.db
      .selectFrom("messages")
      .select("id")
      .where("state", "=", "pending")
      .where("attempts", ">", 0)
      .execute();
    expect(spent).toEqual([]);
  });

  it("reanalyze --wait hands back what it holds and says how to cancel the job it leaves", async () => {
    await insertConversations(fresh.database, 12_000);
    const run = await interruptAtTerminal(["reanalyze", "--from", "2000-01-01", "--wait"], env, (out) =>
      /\| [1-9]\d*\/\d+ items/.test(out),
    );
    expect(run.code, run.output).toBe(INTERRUPTED);
    terminalRestored(run.output);
    const cancel = /to cancel it: (relabel job cancel (\d+))/.exec(run.output);
    expect(cancel, run.output).not.toBeNull();
    const states = await messageStates(fresh);
    expect(states.running ?? 0, JSON.stringify(states)).toBe(0);
    const spent = await fresh.database.db
      .selectFrom("messages")
      .select("id")
      .where("state", "=", "pending")
      .where("attempts", ">", 0)
      .execute();
    expect(spent).toEqual([]);

    // The command it names does cancel the job.
    const jobId = cancel?.[2] as string;
    const left = await runCli(["job", "show", jobId, "--json"], env);
    expect(["fanning_out", "running"]).toContain(JSON.parse(left.stdout).status);
    const cancelled = await runCli(["job", "cancel", jobId, "--json"], env);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(JSON.parse(cancelled.stdout).status).toBe("cancelled");
  });
});
