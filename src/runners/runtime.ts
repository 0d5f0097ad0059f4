import type { Database } from "../db/database.js";
import type { Logger } from "../logger.js";
import type { TopicRegistry } from "../pubsub/registry.js";
import type { Wakeups } from "../pubsub/wakeups.js";
import type { BatchReport } from "./process-batch.js";

/** What runners (ticks, workers) need: the database, the topics and the queue's settings. */
export interface Runtime {
  database: Database;
  logger: Logger;
  topics: TopicRegistry;
  wakeups: Wakeups;
  leaseMs: number;
  /** How long done and cancelled messages are kept before they are pruned. */
  retentionMs: number;
  /** Called after each batch (metrics); optional so tools and tests can leave it out. */
  observe?: (topic: string, report: BatchReport, seconds: number) => void;
}
