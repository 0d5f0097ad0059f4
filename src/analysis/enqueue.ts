import type { Executor } from "../db/database.js";
import { enqueue, PRIORITY, type Publisher } from "../pubsub/publish.js";
import type { AnalysisKey } from "./key.js";
import { ANALYSIS_TOPIC } from "./topic.js";

/**
 * Asks for an item's analysis in the transaction that wrote the item, so the
 * write and its analysis message commit together (or not at all).
 */
export function enqueueAnalysis(
  trx: Executor,
  publisher: Publisher,
  key: AnalysisKey,
  priority: number = PRIORITY.live,
): Promise<unknown> {
  return enqueue(trx, publisher, { topic: ANALYSIS_TOPIC, key, priority });
}
