/**
 * Places where a test can hold a batch to force an interleaving with another
 * transaction, as PostgreSQL's isolation specs script theirs: the test sets a
 * hook, the batch waits in it while the test commits something else, then
 * goes on. Unset (always, outside tests) a pause point costs one check.
 */
export interface PausePoints {
  /** After the handler analyzed a batch, before its ack transaction begins. */
  beforeAck?: () => Promise<void>;
  /** Inside the ack transaction, after the items were checked and labels read, before labels are written. */
  beforeLabelWrite?: () => Promise<void>;
}

export const pausePoints: PausePoints = {};

export async function pauseAt(point: keyof PausePoints): Promise<void> {
  const hook = pausePoints[point];
  if (hook !== undefined) await hook();
}
