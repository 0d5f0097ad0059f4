import { type Config, loadConfig } from "../config.js";
import { type Database, openDatabase } from "../db/database.js";
import { migrate } from "../db/migrate.js";
import { createLogger, type Logger } from "../logger.js";
import { createWakeups } from "../pubsub/wakeups.js";
import type { Runtime } from "../runners/runtime.js";
import { defaultTopics } from "../runners/topics.js";

/** Opens the configured database and brings its schema up to date. */
export async function openMigrated(config: Config, logger: Logger): Promise<Database> {
  const database = openDatabase(config.database, logger);
  try {
    const ran = await migrate(database);
    if (ran.length > 0)
      logger.info({ migrations: ran.map((m) => `${m.id}_${m.name}`) }, "migrations applied");
    return database;
  } catch (err) {
    await database.close();
    throw err;
  }
}

/** A migrated database with this build's topics and the configured queue settings. */
export async function openRuntime(
  config: Config,
  logger: Logger,
): Promise<Runtime & { close(): Promise<void> }> {
  const database = await openMigrated(config, logger);
  const wakeups = await createWakeups(database, logger);
  return {
    database,
    logger,
    topics: defaultTopics(),
    wakeups,
    leaseMs: config.leaseMs,
    retentionMs: config.retentionMs,
    async close() {
      await wakeups.close();
      await database.close();
    },
  };
}

/** Opens (and migrates) the database for one command, runs `fn`, and closes it whatever happens. */
export async function withDatabase<T>(
  databaseUrl: string | undefined,
  fn: (database: Database) => Promise<T>,
): Promise<T> {
  const config = loadConfig(process.env, { DATABASE_URL: databaseUrl });
  const database = await openMigrated(config, createLogger(config.logLevel));
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}
