import { defineConfig } from "vitest/config";

const FAULTS = "test/faults/**/*.test.ts";

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
          exclude: [FAULTS],
          sequence: { groupOrder: 0 },
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
