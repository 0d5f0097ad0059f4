import type { Database, Executor } from "../db/database.js";
import type { Logger } from "../logger.js";
import type { TopicRegistry } from "./registry.js";
import type { Wakeups } from "./wakeups.js";

/** A message as a runner holds it: claimed, under a lease. */
export interface ClaimedMessage {
  id: number;
  topic: string;
  key: Record<string, unknown>;
  data: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
  leaseToken: string;
}

export interface HandlerContext {
  database: Database;
  logger: Logger;
  /** For handlers that publish follow-up messages in their commit. */
  topics: TopicRegistry;
  wakeups: Wakeups;
  /**
   * Hands messages of the batch being handled back to the queue now, in a
   * transaction of their own: pending again at once, their attempt not
   * counted, other runners woken, and their lease no longer kept. For
   * messages a handler will not get to (the batch is too big to finish in
   * good time): held until the ack, they would sit idle under this runner's
   * lease while other runners had nothing to do, and expire with it.
   * Messages no longer held by this runner are left alone.
   */
  handBack(messages: ClaimedMessage[]): Promise<void>;
}

/** What a commit tells the queue beyond "done", for jobs waiting on these messages. */
export interface CommitResult {
  /** Messages completed with nothing to do (their item is gone). */
  skipped?: number[];
  /** Per message: the labels its analysis added and removed (or, in a preview, would). */
  changes?: Map<number, { added: string[]; removed: string[] }>;
}

/** What a handler did with a batch, computed outside any transaction. */
export interface BatchOutcome {
  /**
   * Writes the effects of `messages` (those still leased to this runner) in
   * the same transaction that acks them: effects and acks commit together.
   * `jobs`: the reanalysis job each message served, if any (message id → job id).
   */
  commit(
    trx: Executor,
    messages: ClaimedMessage[],
    jobs: ReadonlyMap<number, number>,
    // biome-ignore lint/suspicious/noConfusingVoidType: most commits have nothing to report; void lets them say nothing
  ): Promise<void | CommitResult>;
  /** Messages that failed on their own, with why; the rest of the batch still commits. */
  failed?: Map<number, string>;
}

export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/**
 * A topic, registered in code: how its keys are checked and normalized, how
 * often a message is tried, and the handler that processes batches of them.
 */
export interface TopicDefinition {
  name: string;
  description: string;
  /**
   * Validates and normalizes a key before anything is written (throws
   * `invalid_key` or a not-found error); may read the database to resolve
   * defaults such as "the latest version".
   */
  normalizeKey(ex: Executor, key: unknown): Promise<Record<string, unknown>>;
  maxAttempts: number;
  backoff: Backoff;
  /** Messages per claim: small enough to finish well inside the lease. */
  batchSize: number;
  handle(messages: ClaimedMessage[], context: HandlerContext): Promise<BatchOutcome>;
}

/** Equal keys must be equal strings for dedup: fields sorted, no whitespace. */
export function canonicalKey(key: Record<string, unknown>): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(key).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  );
}
