/**
 * What the queue bench needs from each queue under test. Every contender is
 * driven through this one interface, so the timing code (measure.ts) is shared
 * and the only differences between contenders are in their adapters.
 */

/** Called at the start of a handler, once per message, with the sequence number it was published with. */
export type OnHandled = (seq: number) => void;

/** One contender opened on its own fresh schema. */
export interface QueueUnderTest {
  /** The recommended bulk path: `count` messages, seq `from`…`from + count - 1`, in one call or transaction. */
  enqueueBulk(from: number, count: number): Promise<void>;
  /** One message on its own (its own statement or transaction), as live traffic publishes. */
  enqueueOne(seq: number): Promise<void>;
  /**
   * Untimed, just before consumers start: opens every connection of the pool
   * they will use, so no contender pays for connection setup while timed.
   */
  warmUp(): Promise<void>;
  /** Starts this process's consumers with no-op handlers. */
  startConsumers(onHandled: OnHandled): Promise<void>;
  /** Stops the consumers (graceful: in-flight work completes). */
  stopConsumers(): Promise<void>;
  /** Messages not yet completed in the database (pending, running, or handled but not yet acked). */
  unfinished(): Promise<number>;
  /** Closes every connection; the caller drops the schema. */
  close(): Promise<void>;
}

export interface Contender {
  /** Row name in the report. */
  name: string;
  /** How it is configured, for the report's settings. */
  configuration: string;
  open(url: string, schema: string): Promise<QueueUnderTest>;
}

/** Opens `size` connections of a pool at once (each query holds one while the others connect). */
export async function warmPool(query: (text: string) => Promise<unknown>, size: number): Promise<void> {
  await Promise.all(Array.from({ length: size }, () => query("select pg_sleep(0.02)")));
}
