import { statSync } from "node:fs";
import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { importFile } from "../items/import.js";
import { createLogger } from "../logger.js";
import { openRuntime } from "./open.js";
import { createProgress } from "./progress.js";

export function importCommand(program: Command): void {
  program
    .command("import")
    .description(
      "Import conversations and note versions from an NDJSON file (see README for the line format)",
    )
    .argument("<file>", "NDJSON file, one conversation or note version per line")
    .option("-d, --database-url <url>", "database (env DATABASE_URL)")
    .action(async (file: string, opts: { databaseUrl?: string }) => {
      const config = loadConfig(process.env, { DATABASE_URL: opts.databaseUrl });
      const logger = createLogger(config.logLevel);
      const size = statSync(file).size;
      const runtime = await openRuntime(config, logger);
      const progress = createProgress("import", size, "bytes");
      try {
        const counts = await importFile(runtime.database, runtime, file, {
          onRejected: ({ line, message }) => process.stderr.write(`line ${line}: rejected: ${message}\n`),
          onProgress: (c, bytes) => progress.update(bytes, `${c.conversations + c.note_versions} imported`),
        });
        progress.update(size);
        progress.stop();
        process.stdout.write(
          `imported ${counts.conversations} conversations and ${counts.note_versions} note versions; ` +
            `${counts.skipped} unchanged skipped; ${counts.rejected} lines rejected\n`,
        );
        if (counts.rejected > 0) process.exitCode = 1;
      } finally {
        progress.stop();
        await runtime.close();
      }
    });
}
