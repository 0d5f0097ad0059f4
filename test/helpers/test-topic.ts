import { z } from "zod";
import { analysisTopic } from "../../src/analysis/topic.js";
import { AppError } from "../../src/errors.js";
import { TopicRegistry } from "../../src/pubsub/registry.js";
import type { ClaimedMessage, TopicDefinition } from "../../src/pubsub/topic.js";

/**
 * A topic for queue tests. Its effect is a row in analysis_runs per message
 * (item_id = key.id), written in the ack transaction. `data.poison` makes the
 * whole batch's handler throw (so the runner must isolate it); `data.reject`
 * fails only that message.
 */
export const TEST_TOPIC = "test_echo";

export function testTopic(overrides: Partial<TopicDefinition> = {}): TopicDefinition {
  return {
    name: TEST_TOPIC,
    description: "test",
    normalizeKey: async (_ex, key) => {
      const parsed = z.strictObject({ id: z.string().min(1) }).safeParse(key);
      if (!parsed.success) throw new AppError("invalid_key", "key: needs {id}");
      return parsed.data;
    },
    maxAttempts: 3,
    backoff: { baseMs: 20, maxMs: 40 },
    batchSize: 25,
    async handle(messages: ClaimedMessage[]) {
      if (messages.some((m) => m.data.poison)) throw new Error("poisoned batch");
      const failed = new Map(messages.filter((m) => m.data.reject).map((m) => [m.id, "rejected by handler"]));
      return {
        failed,
        async commit(trx, acked) {
          if (acked.length === 0) return;
          await trx
            .insertInto("analysis_runs")
            .values(
              acked.map((m) => ({
                item_type: "conversation" as const,
                item_id: String(m.key.id),
                note_version: null,
                message_id: m.id,
                analyzed_at: Date.now(),
              })),
            )
            .execute();
        },
      };
    },
    ...overrides,
  };
}

export function testTopics(overrides: Partial<TopicDefinition> = {}): TopicRegistry {
  return new TopicRegistry([analysisTopic(), testTopic(overrides)]);
}
