import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../test/helpers/database.js";
import { LogCapture, testConfig } from "../test/helpers/app.js";
import { adminQuery } from "../test/helpers/pg-admin.js";
import { createLogger } from "./config/logger.js";
import { startServer } from "./server.js";

/** Polls `condition` every 10 ms until it holds; fails naming `what` after `timeoutMs`. */
async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() >= deadline) throw new Error(`${what}: not so within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** Opens a fresh TCP connection: the error code if it is refused, "connected" if it is accepted. */
function tcpConnect(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once("connect", () => (socket.destroy(), resolve("connected")));
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe("graceful shutdown", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database.drop());

  /** Connections the app's pools (application_name "podium") hold on the test's database. */
  async function appConnections(): Promise<number> {
    const { rows } = await adminQuery<{ n: number }>(
      inject("pgAdminUrl"),
      "select count(*)::int as n from pg_stat_activity where datname = $1 and application_name = 'podium'",
      [database.name],
    );
    return rows[0]?.n ?? -1;
  }

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
    try {
      expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
      // The health check left a connection of the app's pool open: the count below can see it.
      expect(await appConnections()).toBeGreaterThan(0);

      const slow = fetch(`${server.url}/test/slow`);
      slow.catch(() => undefined); // awaited below; an assertion failing first must not leave it unhandled
      await inFlight;
      const stopping = server.shutdown("test");
      await until("the server stopped listening", () => server.app.server.listening === false);

      // No new connections while draining...
      expect(await tcpConnect(server.url)).toBe("ECONNREFUSED");
      // ...but the request already in flight completes normally.
      release();
      const res = await slow;
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ finished: true });
      await stopping;
      expect(logs.lines.map((l) => l.msg)).toContain("shutdown complete");
      expect(server.app.lifecycle.shuttingDown).toBe(true);
      // The pool is closed: the database sees no connection of the app left (a backend leaves
      // pg_stat_activity a moment after its client disconnects, hence the wait).
      await until("no app connection left on the database", async () => (await appConnections()) === 0);
      await server.shutdown("again"); // idempotent
    } finally {
      release();
      await server.shutdown("test cleanup");
    }
  });
});
