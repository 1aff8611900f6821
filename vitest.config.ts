import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // One PostgreSQL (and one build of the browser client) for the whole run, shared by both projects below.
    globalSetup: ["./test/global-setup.ts", "./test/build-web-client.ts"],
    // Each test file gets its own database cloned from a migrated template, so files run in parallel safely.
    pool: "forks",
    // Vitest's default is one worker fewer than the CPUs: a single worker on a 2-core machine, so files would
    // never overlap. The tests mostly wait on PostgreSQL, child processes and timers, not on the CPU.
    maxWorkers: 4,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: "server",
          include: ["src/**/*.test.ts", "test/**/*.test.ts", "scripts/**/*.test.ts", "web/**/*.test.ts"],
          exclude: ["test/e2e/**"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // The browser tests run after the others, one file at a time: each drives several Chromium pages with
        // live video, and beside the load tests (1,000 concurrent joins or votes) on 2 cores both would starve.
        extends: true,
        test: {
          name: "browser",
          include: ["test/e2e/**/*.test.ts"],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
