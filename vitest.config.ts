import { defineConfig } from "vitest/config";

const FAULTS = "test/faults/**/*.test.ts";
const BROWSER = "test/browser/**/*.test.ts";

export default defineConfig({
  test: {
    globalSetup: ["test/global-setup.ts"],
    // Ceilings for a hang, not speed limits: on a loaded 2-core machine (a load of 10 and more)
    // a test that takes seconds idle can take a minute.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: "main",
          include: ["src/**/*.test.ts", "test/**/*.test.ts"],
          exclude: [FAULTS, BROWSER],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // The web app in Debian's Chromium (see test/browser/harness.ts): alongside the main suite.
        extends: true,
        test: {
          name: "browser",
          include: [BROWSER],
          sequence: { groupOrder: 0 },
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        // Fault tests kill processes, drop connections and load the machine:
        // one file at a time, after everything else, so timings hold.
        extends: true,
        test: {
          name: "faults",
          include: [FAULTS],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 240_000,
        },
      },
    ],
  },
});
