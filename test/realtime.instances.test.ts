import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { createTestDatabase, type TestDatabase } from "./helpers/database.js";
import { freePort } from "./helpers/ports.js";
import { spawnServer, stopServerProcess, waitForStatus } from "./helpers/process.js";
import { connectSocket, until, type ClientSocket } from "./helpers/sockets.js";
import { TEST_AUTH_SECRET } from "./helpers/app.js";

const STARTUP_MS = 60_000;

/**
 * Two server processes sharing one PostgreSQL and one Redis: a change made through either instance reaches
 * clients connected to the other (write, commit, publish through the Redis adapter).
 */
describe("two instances sharing Redis", { timeout: 120_000 }, () => {
  let database: TestDatabase;
  const open: ClientSocket[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    for (const socket of open) socket.close();
    await database?.drop();
  });

  async function instance(): Promise<string> {
    const port = await freePort();
    const server = spawnServer({
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL,
      PORT: String(port),
      NODE_ENV: "test",
      AUTH_SECRET: TEST_AUTH_SECRET,
      // Both instances sweep presence; the advisory lock lets one at a time.
      PRESENCE_SWEEP_INTERVAL_MS: "1000",
    });
    onTestFinished(() => stopServerProcess(server));
    const url = `http://127.0.0.1:${port}`;
    await waitForStatus(`${url}/api/health`, 200, STARTUP_MS).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${server.output()}`);
    });
    return url;
  }

  async function call<T>(url: string, method: string, path: string, token?: string, body?: object) {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { "content-type": "application/json" } : {}),
        origin: url,
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
  }

  it.runIf(process.env.REDIS_URL)(
    "delivers what one instance commits to the clients of the other",
    async () => {
      const [a, b] = await Promise.all([instance(), instance()]);
      const signIn = await call<{ user: { id: string } }>(a, "POST", "/api/auth/dev/sign-in", undefined, {
        name: "Two Instances",
        email: `two.${Date.now()}@example.test`,
      });
      expect(signIn.status).toBe(200);
      const hostToken = signIn.headers.get("set-auth-token")!;
      const created = await call<{ id: string }>(a, "POST", "/api/sessions", hostToken, { title: "Across" });
      expect(created.status).toBe(201);
      const sessionId = created.body.id;
      expect((await call(b, "POST", `/api/sessions/${sessionId}/start`, hostToken)).status).toBe(200);

      // The host watches on A; an attendee joins through B and connects to B.
      const host = await connectSocket(a, { sessionId, token: hostToken });
      open.push(host.socket);
      const ada = await call<{ token: string; attendee: { id: string } }>(
        b,
        "POST",
        `/api/attendee/join/${sessionId}`,
        undefined,
        { name: "Ada" },
      );
      expect(ada.status).toBe(201);
      const attendee = await connectSocket(b, { sessionId, token: ada.body.token });
      open.push(attendee.socket);
      await until("A's host saw B's join", () =>
        host.received.of("attendee:joined").some((e) => e.attendee.id === ada.body.attendee.id),
      );
      // More joins through both instances: the count both clients converge on is the database's.
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          call(i % 2 ? a : b, "POST", `/api/attendee/join/${sessionId}`, undefined, { name: `Guest ${i}` }),
        ),
      );
      for (const client of [host, attendee]) {
        await until("count 7 on both instances", () =>
          client.received.of("attendees:count").some((c) => c.count === 7),
        );
      }

      // A REST change handled by A reaches the attendee on B.
      const renamed = await call(a, "PATCH", `/api/sessions/${sessionId}`, hostToken, { title: "Renamed" });
      expect(renamed.status).toBe(200);
      await until("B's attendee saw the new title", () =>
        attendee.received.of("session:updated").some((s) => s.title === "Renamed"),
      );

      // Banning through A closes the attendee's socket on B.
      const gone = new Promise<string>((resolve) => attendee.socket.once("disconnect", resolve));
      const banned = await call(
        a,
        "POST",
        `/api/sessions/${sessionId}/attendees/${ada.body.attendee.id}/ban`,
        hostToken,
      );
      expect(banned.status).toBe(204);
      expect(await gone).toBe("io server disconnect");
      expect(attendee.received.of("you:removed")).toEqual([{ sessionId, reason: "banned" }]);

      // Ending through B disconnects attendees connected to A; the host on A stays.
      const bob = await call<{ token: string }>(a, "POST", `/api/attendee/join/${sessionId}`, undefined, {
        name: "Bob",
      });
      const bobSocket = await connectSocket(a, { sessionId, token: bob.body.token });
      open.push(bobSocket.socket);
      const bobGone = new Promise<string>((resolve) => bobSocket.socket.once("disconnect", resolve));
      expect((await call(b, "POST", `/api/sessions/${sessionId}/end`, hostToken)).status).toBe(200);
      expect(await bobGone).toBe("io server disconnect");
      expect(bobSocket.received.of("session:ended")).toHaveLength(1);
      await until("the host saw the end", () => host.received.of("session:ended").length === 1);
      expect(host.socket.connected).toBe(true);
    },
  );
});
