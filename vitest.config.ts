import { defineConfig } from "vitest/config";

/**
 * Run after the others, one file at a time: the browser tests (several Chromium pages with live video each) and
 * the load tests (1,000 concurrent joins, 1,000 concurrent votes). Beside each other, or beside three other test
 * files, on a 2-core machine they starve PostgreSQL of CPU and get 503s that say nothing about the code.
 */
const ALONE = [
  "test/e2e/**/*.test.ts",
  "src/modules/attendees/seats.test.ts",
  "src/modules/questions/questions.votes.test.ts",
];

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
          exclude: ALONE,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "alone",
          include: ALONE,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
