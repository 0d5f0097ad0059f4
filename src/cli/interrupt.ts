import { restoreTerminal } from "./progress.js";

/** The exit status of a command stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const INTERRUPTED = 130;

export interface Interrupt {
  /** Aborts on the first Ctrl-C (or SIGTERM). */
  signal: AbortSignal;
  dispose(): void;
}

/**
 * Ctrl-C for commands that work for a while (import, drain, reanalyze
 * --wait): the first one puts the terminal back as it was (progress bars hide
 * the cursor and turn line wrap off) and aborts `signal`, so the command stops
 * at its next safe point, hands back what it claimed and says what it did; a
 * second one exits at once, leaving anything still claimed to lease recovery.
 */
export function onInterrupt(): Interrupt {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals) => {
    restoreTerminal();
    if (controller.signal.aborted) {
      process.stderr.write("relabel: interrupted again: exiting now\n");
      process.exit(INTERRUPTED);
    }
    process.stderr.write(
      `relabel: ${signal === "SIGINT" ? "interrupted" : signal}: stopping (Ctrl-C again to exit at once)\n`,
    );
    controller.abort();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
