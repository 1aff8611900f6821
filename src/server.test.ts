import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../test/helpers/database.js";
import { LogCapture, testConfig } from "../test/helpers/app.js";
import { createLogger } from "./config/logger.js";
import { startServer } from "./server.js";

describe("graceful shutdown", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database.drop());

  it("stops accepting, finishes the request in flight, then closes the pool", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => (started = resolve));
    const logs = new LogCapture();
    const server = await startServer(
      testConfig({ DATABASE_URL: database.url, HOST: "127.0.0.1" }),
      createLogger("info", logs),
      {
        register(app) {
          app.get("/test/slow", async () => {
            started();
            await released;
            return { finished: true };
          });
        },
      },
    );
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);

    const slow = fetch(`${server.url}/test/slow`);
    await inFlight;
    const stopping = server.shutdown("test");
    await new Promise((resolve) => setTimeout(resolve, 100));

    // No new connections while draining...
    await expect(fetch(`${server.url}/api/health/live`)).rejects.toThrow();
    // ...but the request already in flight completes normally.
    release();
    const res = await slow;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ finished: true });
    await stopping;
    expect(logs.lines.map((l) => l.msg)).toContain("shutdown complete");
    // The pool is closed: the app's pool refuses new queries.
    const pool = (server.app as unknown as { lifecycle: { shuttingDown: boolean } }).lifecycle;
    expect(pool.shuttingDown).toBe(true);
    await server.shutdown("again"); // idempotent
  });
});
