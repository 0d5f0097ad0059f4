import { defineConfig } from "vitest/config";

const FAULTS = "test/faults/**/*.test.ts";
const BROWSER = "test/browser/**/*.test.ts";

export default defineConfig({
  test: {
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
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
          testTimeout: 60_000,
          hookTimeout: 60_000,
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
          testTimeout: 120_000,
        },
      },
    ],
  },
});
