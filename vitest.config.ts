import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "scripts/**/*.test.ts", "web/**/*.test.ts"],
    globalSetup: ["./test/global-setup.ts", "./test/build-web-client.ts"],
    // Each test file gets its own database cloned from a migrated template, so files run in parallel safely.
    pool: "forks",
    fileParallelism: true,
    // Vitest's default is one worker fewer than the CPUs: a single worker on a 2-core machine, so files would
    // never overlap. The tests mostly wait on PostgreSQL, child processes and timers, not on the CPU.
    maxWorkers: 4,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
