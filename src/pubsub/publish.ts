import { sql } from "kysely";
import type { Executor } from "../db/database.js";
import type { TopicRegistry } from "./registry.js";
import { canonicalKey } from "./topic.js";
import type { Wakeups } from "./wakeups.js";

export interface PublishInput {
  topic: string;
  key: unknown;
  data?: Record<string, unknown>;
  /** Lower runs first: 0 for live work (the default), higher for bulk work. */
  priority?: number;
}

/** What publishing needs: the topics, and a way to wake idle runners. */
export interface Publisher {
  topics: TopicRegistry;
  wakeups: Wakeups;
}

export interface Published {
  id: number;
  topic: string;
  key: Record<string, unknown>;
  deduplicated: boolean;
}

/** Priorities: lower runs first. Live work (writes, single publishes) never waits behind bulk work. */
export const PRIORITY = { live: 0, bulk: 10 } as const;

/**
 * Publishes a message in the caller's transaction, so it commits together
 * with whatever caused it. The key is validated and normalized first; a key
 * that already has a pending message on the topic returns that message.
 */
export async function publish(
  trx: Executor,
  publisher: Publisher,
  input: PublishInput,
  now = Date.now(),
): Promise<Published> {
  const topic = publisher.topics.get(input.topic);
  const key = await topic.normalizeKey(trx, input.key);
  return enqueue(trx, publisher, { topic: topic.name, key, data: input.data, priority: input.priority }, now);
}

/** Enqueues a message whose key is already normalized (callers that just wrote the item it names). */
export async function enqueue(
  trx: Executor,
  publisher: Publisher,
  input: { topic: string; key: Record<string, unknown>; data?: Record<string, unknown>; priority?: number },
  now = Date.now(),
): Promise<Published> {
  const topic = publisher.topics.get(input.topic);
  const key = input.key;
  const keyText = canonicalKey(key);
  const priority = input.priority ?? PRIORITY.live;
  // Between a conflict and the look-up, a runner may claim the pending twin; then insert again.
  for (let attempt = 0; ; attempt++) {
    const inserted = await trx
      .insertInto("messages")
      .values({
        topic: topic.name,
        key: keyText,
        data: JSON.stringify(input.data ?? {}),
        state: "pending",
        priority,
        attempts: 0,
        max_attempts: topic.maxAttempts,
        run_at: now,
        created_at: now,
      })
      // The target must repeat the partial index's predicate literally for SQLite to match it.
      .onConflict((oc) => oc.columns(["topic", "key"]).where(sql<boolean>`state = 'pending'`).doNothing())
      .returning("id")
      .executeTakeFirst();
    if (inserted) {
      await publisher.wakeups.notify(trx, topic.name);
      return { id: inserted.id, topic: topic.name, key, deduplicated: false };
    }
    const existing = await trx
      .selectFrom("messages")
      .select(["id", "priority"])
      .where("topic", "=", topic.name)
      .where("key", "=", keyText)
      .where("state", "=", "pending")
      .executeTakeFirst();
    if (existing) {
      if (priority < existing.priority) {
        // Live work asked for what bulk work already queued: it must not wait behind the bulk.
        await trx.updateTable("messages").set({ priority }).where("id", "=", existing.id).execute();
      }
      return { id: existing.id, topic: topic.name, key, deduplicated: true };
    }
    if (attempt >= 3) throw new Error(`publish: could not settle the pending message for ${keyText}`);
  }
}
