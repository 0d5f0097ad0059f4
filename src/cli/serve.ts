import type { Command } from "commander";
import { resolveCredentials } from "../auth/token.js";
import { ConfigError, isLoopback, loadConfig } from "../config.js";
import { listenHostName } from "../http/host.js";
import { buildServer } from "../http/server.js";
import { createLogger } from "../logger.js";
import { buildCommit, Metrics } from "../metrics.js";
import { RunnerPool } from "../runners/worker.js";
import { stopGracefully } from "./lifecycle.js";
import { openRuntime } from "./open.js";
import { isEmpty, loadSample } from "./sample.js";
import { packageVersion } from "./version.js";

export function serveCommand(program: Command): void {
  program
    .command("serve")
    .description("Migrate the database, serve the HTTP API and run runners")
    .option("-p, --port <port>", "port to listen on (env PORT, default 3000)")
    .option("-H, --host <host>", "interface to listen on (env HOST, default 127.0.0.1)")
    .option("-d, --database-url <url>", "database (env DATABASE_URL, default sqlite:./data/relabel.db)")
    .option("--sample", "on an empty database, load the example taxonomy and sample items first")
    .option(
      "-w, --workers <n>",
      "runner loops in this process (env RELABEL_WORKERS, default 1; 0 = ticks only)",
    )
    .action(
      async (opts: {
        port?: string;
        host?: string;
        databaseUrl?: string;
        workers?: string;
        sample?: boolean;
      }) => {
        const config = loadConfig(process.env, {
          PORT: opts.port,
          HOST: opts.host,
          DATABASE_URL: opts.databaseUrl,
          RELABEL_WORKERS: opts.workers,
        });
        if (!isLoopback(config.host) && !config.apiToken && config.adminTokens.length === 0) {
          throw new ConfigError(
            `RELABEL_API_TOKEN: required to listen on ${config.host}, which is reachable from other machines`,
          );
        }
        const { credentials, source } = resolveCredentials(config);
        const logger = createLogger(config.logLevel);
        const runtime = await openRuntime(config, logger);
        if (await isEmpty(runtime)) {
          if (opts.sample) {
            const loaded = await loadSample(runtime);
            logger.info(
              loaded,
              "loaded the example taxonomy and sample items; the runners are labeling them",
            );
          } else {
            logger.info(
              "the database is empty: `npm start -- --sample` loads an example taxonomy and sample items",
            );
          }
        } else if (opts.sample) {
          logger.warn("--sample ignored: the database already holds data");
        }
        const metrics = new Metrics(runtime.database, () => runtime.topics.names(), {
          version: packageVersion(),
          commit: buildCommit(config.commit),
        });
        runtime.observe = (topic, report, seconds) => metrics.observeBatch(topic, report, seconds);
        const app = await buildServer({
          ...runtime,
          credentials,
          metrics,
          rateLimits: {
            perTokenPerSecond: config.rateLimitPerSecond,
            authFailuresPerMinute: config.authFailuresPerMinute,
          },
          version: packageVersion(),
          httpLimits: config.httpLimits,
          allowedHosts: config.allowedHosts,
          listenHost: config.host,
          metricsTokens: config.metricsTokens,
        });
        if (source.kind === "file") {
          // The token itself goes only to a person at a terminal, never into logs.
          if (process.stderr.isTTY)
            process.stderr.write(`\nAPI token (kept in ${source.path}): ${source.token}\n\n`);
          else logger.info({ tokenFile: source.path }, "API token is in this file");
        }
        const address = await app.listen({ port: config.port, host: config.host });
        if (listenHostName(config.host) === undefined && config.allowedHosts.length === 0) {
          // Listening everywhere names no host: browsers elsewhere cannot sign in until one is set.
          logger.info(
            "browser sessions work under localhost only: set RELABEL_ALLOWED_HOSTS to the name browsers use",
          );
        }
        logger.info(
          { database: runtime.database.description, workers: config.workers, app: `${address}/` },
          "relabel is serving; open the app in a browser",
        );

        const pool = new RunnerPool(runtime, { concurrency: config.workers });
        pool.start();
        stopGracefully(logger, async () => {
          await app.close();
          await pool.stop();
          await runtime.close();
        });
      },
    );
}
