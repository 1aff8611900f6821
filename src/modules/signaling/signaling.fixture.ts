import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { createSession, signIn, type SignedInUser } from "../../../test/helpers/actors.js";
import {
  connectSocket,
  listen,
  request,
  type ClientSocket,
  type Connected,
} from "../../../test/helpers/sockets.js";
import type { MediaSetup } from "./signaling.schemas.js";

export const SDP = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
export const CANDIDATE = {
  candidate: "candidate:842163049 1 udp 1677729535 127.0.0.1 60769 typ host generation 0",
  sdpMid: "0",
  sdpMLineIndex: 0,
};

/**
 * The app, presenter and helpers the signaling tests share (TURN and STUN configured, quality summaries every
 * 200 ms). Call inside a describe; `ctx` is filled before the tests run.
 */
export function signalingFixture() {
  const ctx = {} as { t: TestApp; url: string; host: SignedInUser };
  const open: ClientSocket[] = [];
  beforeAll(async () => {
    const t = (ctx.t = await createTestApp({
      env: {
        RATE_LIMIT_IP_MAX: "100000",
        RATE_LIMIT_ACTOR_MAX: "100000",
        MEDIA_QUALITY_SUMMARY_MS: "200",
        TURN_URLS: "turn:127.0.0.1:3478",
        TURN_SECRET: "a-turn-secret-for-tests",
        ICE_STUN_URLS: "stun:127.0.0.1:3478",
      },
    }));
    ctx.url = await listen(t.app);
    ctx.host = await signIn(t.app, t.db.db, "Signal Host");
  });
  afterEach(() => {
    for (const socket of open.splice(0)) socket.close();
  });
  afterAll(async () => ctx.t?.close());

  const session = () =>
    createSession(ctx.t.db.db, { userId: ctx.host.userId, workspaceId: ctx.host.personalWorkspaceId });
  const join = async (sessionId: string, name: string) => {
    const res = await ctx.t.app.inject({
      method: "POST",
      url: `/api/attendee/join/${sessionId}`,
      payload: { name },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { token: string; attendee: { id: string; peerId: string } };
  };
  const connect = async (sessionId: string, token: string): Promise<Connected> => {
    const connected = await connectSocket(ctx.url, { sessionId, token });
    open.push(connected.socket);
    return connected;
  };
  const ready = async (client: Connected) => {
    const ack = await request<MediaSetup>(client.socket, "media:ready", {});
    if (!ack.ok) throw new Error(`media:ready refused: ${ack.error.code}`);
    return ack.data;
  };
  /** A live session with its presenter and n attendees, all ready for media. */
  const stage = async (attendees: number) => {
    const sessionId = await session();
    const presenter = await connect(sessionId, ctx.host.token);
    const joined = [];
    for (let i = 0; i < attendees; i++) {
      const joinedOne = await join(sessionId, `Guest ${i}`);
      const client = await connect(sessionId, joinedOne.token);
      joined.push({ ...joinedOne, client, setup: await ready(client) });
    }
    const setup = await ready(presenter);
    return { sessionId, presenter, setup, attendees: joined };
  };

  return { ctx, open, session, join, connect, ready, stage };
}
