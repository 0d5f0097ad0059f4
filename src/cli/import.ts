import { statSync } from "node:fs";
import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { type ImportCounts, importFile } from "../items/import.js";
import { createLogger } from "../logger.js";
import { INTERRUPTED, onInterrupt } from "./interrupt.js";
import { openRuntime } from "./open.js";
import { jsonOption, printJson } from "./output.js";
import { createProgress } from "./progress.js";

/** Thrown from the progress callback after a batch has committed, to stop an interrupted import there. */
class Stopped extends Error {}

export function importCommand(program: Command): void {
  jsonOption(
    program
      .command("import")
      .description(
        "Import conversations and note versions from an NDJSON file (see README for the line format)",
      )
      .argument("<file>", "NDJSON file, one conversation or note version per line")
      .option("-d, --database-url <url>", "database (env DATABASE_URL)"),
  ).action(async (file: string, opts: { json?: boolean; databaseUrl?: string }) => {
    const config = loadConfig(process.env, { DATABASE_URL: opts.databaseUrl });
    const logger = createLogger(config.logLevel);
    const size = statSync(file).size;
    const runtime = await openRuntime(config, logger);
    const progress = createProgress("import", size, "bytes");
    const interrupt = onInterrupt();
    // What is committed: the counts as of the last batch written (each batch is one transaction).
    let committed: ImportCounts = { conversations: 0, note_versions: 0, skipped: 0, rejected: 0, lines: 0 };
    try {
      let counts: ImportCounts;
      let interrupted = false;
      try {
        counts = await importFile(runtime.database, runtime, file, {
          onRejected: ({ line, code, message }) =>
            process.stderr.write(`line ${line}: rejected: ${message} (${code})\n`),
          onProgress: (c, bytes) => {
            committed = { ...c };
            // Ctrl-C: stop between batches, so what is in is exactly what is reported.
            if (interrupt.signal.aborted) throw new Stopped();
            progress.update(bytes, `${c.conversations + c.note_versions} imported`);
          },
        });
      } catch (err) {
        if (!(err instanceof Stopped)) throw err;
        counts = committed;
        interrupted = true;
      }
      if (!interrupted) progress.update(size);
      progress.stop();
      if (opts.json) printJson({ ...counts, interrupted });
      else {
        process.stdout.write(
          `${interrupted ? "interrupted: " : ""}imported ${counts.conversations} conversations and ${counts.note_versions} note versions; ` +
            `${counts.skipped} unchanged skipped; ${counts.rejected} lines rejected\n`,
        );
        if (interrupted) {
          process.stdout.write(
            `lines 1–${counts.lines} of ${file} are in (and their analyses queued); the rest is not. ` +
              "Importing the whole file again finishes it: conversations already in are written again as they are, " +
              "note versions already in are skipped.\n",
          );
        }
      }
      if (interrupted) process.exitCode = INTERRUPTED;
      else if (counts.rejected > 0) process.exitCode = 1;
    } finally {
      interrupt.dispose();
      progress.stop();
      await runtime.close();
    }
  });
}
