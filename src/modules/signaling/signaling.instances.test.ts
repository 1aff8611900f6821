import type { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedis } from "../../db/redis.js";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { createSession, signIn } from "../../../test/helpers/actors.js";
import { createTestDatabase, type TestDatabase } from "../../../test/helpers/database.js";
import { connectSocket, listen, request, until, type ClientSocket } from "../../../test/helpers/sockets.js";
import type { MediaSetup } from "./signaling.schemas.js";

const SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

/**
 * Two instances sharing PostgreSQL and Redis: a presenter on one and attendees on the other signal each other
 * (relays, whom to connect to, link updates travel through the Redis adapter), and still only inside a session.
 */
describe.runIf(process.env.REDIS_URL)("signaling across two instances", () => {
  let database: TestDatabase;
  const apps: TestApp[] = [];
  const clients: Redis[] = [];
  const open: ClientSocket[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
    for (let i = 0; i < 2; i++) {
      const redis = createRedis(process.env.REDIS_URL!, pino({ level: "silent" }), `signaling-test-${i}`);
      clients.push(redis);
      apps.push(
        await createTestApp({
          database,
          redis,
          env: { REDIS_URL: process.env.REDIS_URL!, RATE_LIMIT_IP_MAX: "100000" },
        }),
      );
    }
  });
  afterAll(async () => {
    for (const socket of open) socket.close();
    // Let each instance finish handling the disconnects (presence, peer cleanup) before its Redis goes away.
    await until("the instances saw every socket close", () =>
      apps.every((t) => t.app.realtime.io.of("/").sockets.size === 0),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const app of apps) await app.close();
    for (const redis of clients) await redis.quit().catch(() => undefined);
    await database?.drop();
  });

  it("relays between a presenter on one instance and attendees on the other", async () => {
    const [a, b] = apps as [TestApp, TestApp];
    const [urlA, urlB] = [await listen(a.app), await listen(b.app)];
    const host = await signIn(a.app, database.db, "Two Instance Host");
    const sessionId = await createSession(database.db, {
      userId: host.userId,
      workspaceId: host.personalWorkspaceId,
    });
    const other = await createSession(database.db, {
      userId: host.userId,
      workspaceId: host.personalWorkspaceId,
    });
    const presenter = await connectSocket(urlA, { sessionId, token: host.token });
    const elsewhere = await connectSocket(urlB, { sessionId: other, token: host.token });
    open.push(presenter.socket, elsewhere.socket);
    await request(elsewhere.socket, "media:ready", {});

    const res = await b.app.inject({
      method: "POST",
      url: `/api/attendee/join/${sessionId}`,
      payload: { name: "B" },
    });
    const joined = res.json() as { token: string; attendee: { peerId: string } };
    const attendee = await connectSocket(urlB, { sessionId, token: joined.token });
    open.push(attendee.socket);
    await request(attendee.socket, "media:ready", {});
    await until("the presenter on A heard of the attendee on B", () =>
      presenter.received.of("media:peer").some((p) => p.peer.peerId === joined.attendee.peerId),
    );
    const live = await request<MediaSetup>(presenter.socket, "media:ready", {});
    expect(live.ok && live.data.peers.map((p) => p.peerId)).toEqual([joined.attendee.peerId]);
    const presenterPeer = live.ok ? live.data.peerId : "";

    expect(
      await request(presenter.socket, "signal:description", {
        to: joined.attendee.peerId,
        description: { type: "offer", sdp: SDP },
      }),
    ).toMatchObject({ ok: true });
    await until("offer reached B", () => attendee.received.of("signal:description").length === 1);
    await request(attendee.socket, "signal:description", {
      to: presenterPeer,
      description: { type: "answer", sdp: SDP },
    });
    await request(attendee.socket, "media:state", { peerId: presenterPeer, state: "connected" });
    await until(
      "answer and link state reached A",
      () =>
        presenter.received.of("signal:description").length === 1 &&
        presenter.received.of("media:link").length === 1,
    );
    expect(presenter.received.of("media:link")[0]).toMatchObject({ attendeeState: "connected" });
    // The same user presenting another session on B heard none of it.
    expect(elsewhere.received.of("signal:description")).toEqual([]);
    expect(elsewhere.received.of("media:peer")).toEqual([]);
  });
});
