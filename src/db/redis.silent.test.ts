import { createServer, type Server, type Socket } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";
import { createRedis } from "./redis.js";

/**
 * A Redis that completes the handshake and then never answers again (a paused or wedged server): commands
 * must fail, so rate limits fail open and requests are answered instead of hanging.
 */
function silentRedis(): Promise<Server> {
  const server = createServer((socket: Socket) => {
    let handshake = true;
    socket.on("data", (chunk) => {
      if (!handshake) return;
      // The handshake: CLIENT SETNAME / SETINFO (each answered +OK), then INFO; nothing after that.
      for (const [command] of chunk.toString("latin1").matchAll(/\r\n(client|info)\r\n/gi)) {
        if (command.toLowerCase().includes("client")) socket.write("+OK\r\n");
        else {
          const info = "# Server\r\nredis_version:7.0.0\r\nloading:0\r\n";
          socket.write(`$${info.length}\r\n${info}\r\n`);
          handshake = false;
        }
      }
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

describe("a Redis that stops answering", () => {
  let server: Server;
  let t: TestApp;
  let redis: ReturnType<typeof createRedis>;
  beforeAll(async () => {
    server = await silentRedis();
    const address = server.address() as { port: number };
    redis = createRedis(`redis://127.0.0.1:${address.port}`, pino({ level: "silent" }));
    await new Promise<void>((resolve) => redis.once("ready", () => resolve()));
    t = await createTestApp({ redis });
  });
  afterAll(async () => {
    await t?.close();
    redis?.disconnect();
    server?.close();
  });

  it("lets requests through (rate limits fail open) instead of hanging them", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/me" });
    expect(res.statusCode).toBe(401);
    const ready = await t.app.inject({ method: "GET", url: "/api/health/ready" });
    expect(ready.statusCode).toBe(503);
  });
});
