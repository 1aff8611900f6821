import { Writable } from "node:stream";
import type { Redis } from "ioredis";
import { buildApp, type App } from "../../src/app.js";
import { loadConfig, type Config } from "../../src/config/env.js";
import type { DatabaseHandle } from "../../src/db/client.js";
import { createLogger } from "../../src/config/logger.js";
import { createTestDatabase, type TestDatabase } from "./database.js";

/** Log lines the app wrote during a test, parsed. */
export class LogCapture extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly raw: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void) {
    for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
      this.raw.push(line);
      this.lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    done();
  }
}

export const TEST_AUTH_SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz";

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    LOG_LEVEL: "info",
    PORT: "0",
    AUTH_SECRET: TEST_AUTH_SECRET,
    NODE_ENV: "test",
    ...overrides,
  });
}

export interface TestApp {
  app: App;
  db: TestDatabase | DatabaseHandle;
  logs: LogCapture;
  close(): Promise<void>;
}

/** The real app on a database of its own (or the one given), logging into memory. */
export async function createTestApp(
  options: {
    env?: Record<string, string>;
    database?: DatabaseHandle;
    redis?: Redis;
    /** Extra routes for the test, registered before the app is ready. */
    register?: (app: App) => void;
  } = {},
): Promise<TestApp> {
  const db = options.database ?? (await createTestDatabase());
  const logs = new LogCapture();
  const config = testConfig(options.env);
  const app = await buildApp({
    config,
    database: db,
    redis: options.redis,
    logger: createLogger("info", logs),
  });
  options.register?.(app);
  await app.ready();
  return {
    app,
    db,
    logs,
    async close() {
      await app.close();
      if (!options.database) await (db as TestDatabase).drop();
    },
  };
}

/**
 * Where the app keeps its counters and caches, for tests that run once per store: in memory, and in Redis when
 * REDIS_URL is set (a run without Redis has no such case rather than a case that passes without running).
 */
export const STORES: Array<[label: string, redisUrl: string | undefined]> = [
  ["in memory", undefined],
  ...(process.env.REDIS_URL ? [["in Redis", process.env.REDIS_URL] as [string, string]] : []),
];
