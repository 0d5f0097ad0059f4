import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { openMigrated } from "./open.js";

export function migrateCommand(program: Command): void {
  program
    .command("migrate")
    .description("Apply pending database migrations (serve does this on start too)")
    .option("-d, --database-url <url>", "database (env DATABASE_URL)")
    .action(async (opts: { databaseUrl?: string }) => {
      const config = loadConfig(process.env, { DATABASE_URL: opts.databaseUrl });
      const logger = createLogger(config.logLevel);
      const database = await openMigrated(config, logger);
      await database.close();
      process.stdout.write(`database is up to date (${database.description})\n`);
    });
}
