import type { Database } from "../db/database.js";
import type { Logger } from "../logger.js";
import type { TopicRegistry } from "../pubsub/registry.js";

/** What runners (ticks, workers) need: the database, the topics and the queue's settings. */
export interface Runtime {
  database: Database;
  logger: Logger;
  topics: TopicRegistry;
  leaseMs: number;
  /** How long done and cancelled messages are kept before they are pruned. */
  retentionMs: number;
}
