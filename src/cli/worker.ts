import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { RunnerPool } from "../runners/worker.js";
import { stopGracefully } from "./lifecycle.js";
import { openRuntime } from "./open.js";

export function workerCommand(program: Command): void {
  program
    .command("worker")
    .description("Run runners without the HTTP server (as many processes and machines as you like)")
    .option("-c, --concurrency <n>", "runner loops in this process (default RELABEL_WORKERS, else 1)")
    .option("-d, --database-url <url>", "database (env DATABASE_URL)")
    .action(async (opts: { concurrency?: string; databaseUrl?: string }) => {
      const config = loadConfig(process.env, {
        DATABASE_URL: opts.databaseUrl,
        RELABEL_WORKERS: opts.concurrency,
      });
      const logger = createLogger(config.logLevel);
      const runtime = await openRuntime(config, logger);
      const pool = new RunnerPool(runtime, { concurrency: Math.max(config.workers, 1) });
      pool.start();
      logger.info(
        { database: runtime.database.description, concurrency: Math.max(config.workers, 1) },
        "worker started",
      );
      stopGracefully(logger, async () => {
        await pool.stop();
        await runtime.close();
      });
    });
}
