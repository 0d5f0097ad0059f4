import type { Logger } from "../logger.js";

/** How long a graceful stop may take before the process exits anyway (leases then recover the rest). */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * On SIGTERM or SIGINT, runs `stop` once (stop claiming, finish what is
 * claimed, close connections) and exits 0; exits 1 if that takes longer than
 * SHUTDOWN_TIMEOUT_MS. A second signal does not interrupt the stop.
 */
export function stopGracefully(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping: finishing claimed work");
    setTimeout(() => {
      logger.error(
        { timeout_ms: SHUTDOWN_TIMEOUT_MS },
        "stop timed out; exiting, leases will recover the rest",
      );
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    stop().then(
      () => {
        logger.flush();
        process.exit(0);
      },
      (err: Error) => {
        logger.error({ err: err.message }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
