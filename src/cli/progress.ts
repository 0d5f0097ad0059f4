import cliProgress from "cli-progress";

export interface Progress {
  update(value: number, detail?: string): void;
  /** For work whose size is learned as it goes. */
  setTotal?(total: number): void;
  stop(): void;
}

const PLAIN_EVERY_MS = 2_000;

/** Bars on the terminal now: each has hidden the cursor and turned line wrap off until it stops. */
const active = new Set<{ stop(): void }>();

/**
 * Stops every bar still drawn, which shows the cursor and turns line wrap back
 * on: on Ctrl-C, and at exit whatever way the process ends.
 */
export function restoreTerminal(): void {
  for (const bar of [...active]) bar.stop();
}
process.on("exit", restoreTerminal);

/**
 * A progress bar on a terminal (stderr, so stdout stays the command's result);
 * plain progress lines, at most one per two seconds, anywhere else.
 */
export function createProgress(label: string, total: number, unit: string): Progress {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {detail}`,
        stream: process.stderr,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { detail: "" });
    const drawn = {
      stop() {
        active.delete(drawn);
        bar.stop();
      },
    };
    active.add(drawn);
    // Once stopped (Ctrl-C may stop it first), a bar draws nothing more.
    return {
      update(value, detail = "") {
        if (active.has(drawn)) bar.update(value, { detail });
      },
      setTotal(value) {
        if (active.has(drawn)) bar.setTotal(value);
      },
      stop: () => drawn.stop(),
    };
  }
  let last = Date.now();
  let size = total;
  return {
    setTotal(value) {
      size = value;
    },
    update(value, detail = "") {
      const now = Date.now();
      if (now - last < PLAIN_EVERY_MS) return;
      last = now;
      process.stderr.write(`${label}: ${value}/${size} ${unit} ${detail}\n`);
    },
    stop() {},
  };
}
