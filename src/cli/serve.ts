import type { Command } from "commander";
import { resolveApiToken } from "../auth/token.js";
import { ConfigError, isLoopback, loadConfig } from "../config.js";
import { buildServer } from "../http/server.js";
import { createLogger } from "../logger.js";
import { openRuntime } from "./open.js";
import { packageVersion } from "./version.js";

/** How long a stop may take before the process exits anyway. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

export function serveCommand(program: Command): void {
  program
    .command("serve")
    .description("Migrate the database and serve the HTTP API")
    .option("-p, --port <port>", "port to listen on (env PORT, default 3000)")
    .option("-H, --host <host>", "interface to listen on (env HOST, default 127.0.0.1)")
    .option("-d, --database-url <url>", "database (env DATABASE_URL, default sqlite:./data/relabel.db)")
    .action(async (opts: { port?: string; host?: string; databaseUrl?: string }) => {
      const config = loadConfig(process.env, {
        PORT: opts.port,
        HOST: opts.host,
        DATABASE_URL: opts.databaseUrl,
      });
      if (!isLoopback(config.host) && !config.apiToken) {
        throw new ConfigError(
          `RELABEL_API_TOKEN: required to listen on ${config.host}, which is reachable from other machines`,
        );
      }
      const { token, source } = resolveApiToken(config);
      const logger = createLogger(config.logLevel);
      const runtime = await openRuntime(config, logger);
      const { database } = runtime;
      const app = await buildServer({ ...runtime, token, version: packageVersion() });
      if (source.kind === "file") {
        // The token itself goes only to a person at a terminal, never into logs.
        if (process.stderr.isTTY) process.stderr.write(`\nAPI token (kept in ${source.path}): ${token}\n\n`);
        else logger.info({ tokenFile: source.path }, "API token is in this file");
      }
      await app.listen({ port: config.port, host: config.host });
      logger.info({ database: database.description }, "relabel is serving");

      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, "stopping");
        setTimeout(() => process.exit(1), SHUTDOWN_TIMEOUT_MS).unref();
        await app.close();
        await database.close();
        process.exit(0);
      };
      process.on("SIGTERM", () => void stop("SIGTERM"));
      process.on("SIGINT", () => void stop("SIGINT"));
    });
}
