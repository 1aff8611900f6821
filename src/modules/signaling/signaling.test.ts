import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { addToWorkspace, createSession, signIn, type SignedInUser } from "../../../test/helpers/actors.js";
import {
  connectSocket,
  listen,
  request,
  until,
  type ClientSocket,
  type Connected,
} from "../../../test/helpers/sockets.js";
import { saveQualityMinutes, type QualityBucket } from "./signaling.repository.js";
import type { MediaLinkView, MediaSetup } from "./signaling.schemas.js";

const SDP = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
const CANDIDATE = {
  candidate: "candidate:842163049 1 udp 1677729535 127.0.0.1 60769 typ host generation 0",
  sdpMid: "0",
  sdpMLineIndex: 0,
};

describe("WebRTC signaling", () => {
  let t: TestApp;
  let url: string;
  let host: SignedInUser;
  const open: ClientSocket[] = [];
  beforeAll(async () => {
    t = await createTestApp({
      env: {
        RATE_LIMIT_IP_MAX: "100000",
        RATE_LIMIT_ACTOR_MAX: "100000",
        MEDIA_QUALITY_SUMMARY_MS: "200",
        TURN_URLS: "turn:127.0.0.1:3478",
        TURN_SECRET: "a-turn-secret-for-tests",
        ICE_STUN_URLS: "stun:127.0.0.1:3478",
      },
    });
    url = await listen(t.app);
    host = await signIn(t.app, t.db.db, "Signal Host");
  });
  afterEach(() => {
    for (const socket of open.splice(0)) socket.close();
  });
  afterAll(async () => t?.close());

  const session = () =>
    createSession(t.db.db, { userId: host.userId, workspaceId: host.personalWorkspaceId });
  const join = async (sessionId: string, name: string) => {
    const res = await t.app.inject({
      method: "POST",
      url: `/api/attendee/join/${sessionId}`,
      payload: { name },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { token: string; attendee: { id: string; peerId: string } };
  };
  const connect = async (sessionId: string, token: string): Promise<Connected> => {
    const connected = await connectSocket(url, { sessionId, token });
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
    const presenter = await connect(sessionId, host.token);
    const joined = [];
    for (let i = 0; i < attendees; i++) {
      const joinedOne = await join(sessionId, `Guest ${i}`);
      const client = await connect(sessionId, joinedOne.token);
      joined.push({ ...joinedOne, client, setup: await ready(client) });
    }
    const setup = await ready(presenter);
    return { sessionId, presenter, setup, attendees: joined };
  };

  it("tells the presenter whom to connect to, and relays offer, answer and candidates by peer id", async () => {
    const sessionId = await session();
    const presenter = await connect(sessionId, host.token);
    const early = await join(sessionId, "Early");
    const earlyClient = await connect(sessionId, early.token);
    const earlySetup = await ready(earlyClient);
    expect(earlySetup).toMatchObject({ role: "attendee", peerId: early.attendee.peerId, peers: [] });
    expect(earlySetup.iceServers).toEqual([
      { urls: ["stun:127.0.0.1:3478"] },
      {
        urls: ["turn:127.0.0.1:3478"],
        username: expect.stringMatching(new RegExp(`^\\d+:${early.attendee.peerId}$`)),
        credential: expect.any(String),
      },
    ]);

    // Going live: the ready attendee is listed; attendees learn the presenter is live.
    const live = await ready(presenter);
    expect(live.role).toBe("presenter");
    expect(live.peerId).toMatch(/^p[0-9a-f]{31}$/);
    expect(live.peers).toEqual([
      { peerId: early.attendee.peerId, attendeeId: early.attendee.id, displayName: "Early" },
    ]);
    expect(live.media).toEqual({ screenShareAllowed: true, maxBitrateKbps: 2500 });
    await until("attendee told the presenter is live", () =>
      earlyClient.received.of("media:presenter").some((p) => p.status === "live"),
    );

    // A late joiner: the presenter is told.
    const late = await join(sessionId, "Late");
    const lateClient = await connect(sessionId, late.token);
    await ready(lateClient);
    await until("presenter told of the late joiner", () =>
      presenter.received.of("media:peer").some((p) => p.peer.peerId === late.attendee.peerId),
    );
    expect(presenter.received.of("media:peer").at(-1)).toMatchObject({ reason: "ready", sessionId });

    const offer = {
      to: late.attendee.peerId,
      description: { type: "offer", sdp: SDP },
      streams: [{ streamId: "cam-1", role: "camera" }],
    };
    expect(await request(presenter.socket, "signal:description", offer)).toEqual({ ok: true, data: null });
    await until("offer relayed", () => lateClient.received.of("signal:description").length === 1);
    expect(lateClient.received.of("signal:description")[0]).toEqual({
      from: live.peerId,
      description: offer.description,
      streams: offer.streams,
    });
    const answer = { to: live.peerId, description: { type: "answer", sdp: SDP } };
    expect(await request(lateClient.socket, "signal:description", answer)).toMatchObject({ ok: true });
    for (const candidate of [CANDIDATE, null]) {
      expect(
        await request(lateClient.socket, "signal:candidate", { to: live.peerId, candidate }),
      ).toMatchObject({ ok: true });
    }
    await until(
      "answer and candidates relayed",
      () => presenter.received.of("signal:candidate").length === 2,
    );
    expect(presenter.received.of("signal:description")).toEqual([
      { from: late.attendee.peerId, description: answer.description },
    ]);
    expect(presenter.received.of("signal:candidate")).toEqual([
      { from: late.attendee.peerId, candidate: CANDIDATE },
      { from: late.attendee.peerId, candidate: null },
    ]);
    // Nothing reached the other attendee.
    expect(earlyClient.received.of("signal:description")).toEqual([]);
  });

  it("relays only inside one session and along presenter ↔ attendee edges", async () => {
    const a = await stage(2);
    const b = await stage(1);
    const [first, second] = a.attendees;
    const outsider = b.attendees[0]!;
    const offer = (to: string) => ({ to, description: { type: "offer", sdp: SDP } });

    // The presenter of A cannot reach B's attendee, even knowing its peer id.
    const cross = await request(a.presenter.socket, "signal:description", offer(outsider.attendee.peerId));
    expect(cross).toEqual({ ok: false, error: { code: "PEER_NOT_FOUND", message: expect.any(String) } });
    // Attendee → attendee, presenter → presenter: not an edge.
    const sideways = await request(first!.client.socket, "signal:candidate", {
      to: second!.attendee.peerId,
      candidate: CANDIDATE,
    });
    expect(sideways).toMatchObject({ ok: false, error: { code: "EDGE_NOT_ALLOWED" } });
    const upward = await request(a.presenter.socket, "signal:candidate", {
      to: b.setup.peerId,
      candidate: CANDIDATE,
    });
    expect(upward).toMatchObject({ ok: false, error: { code: "EDGE_NOT_ALLOWED" } });
    // An attendee of B addressing A's presenter id reaches nobody in A: rooms are per session.
    expect(
      await request(outsider.client.socket, "signal:candidate", { to: a.setup.peerId, candidate: CANDIDATE }),
    ).toMatchObject({ ok: true });

    // A moderator (staff, but no presenter) takes no part in media.
    const moderatorUser = await signIn(t.app, t.db.db, "Signal Moderator");
    await addToWorkspace(t.db.db, host.personalWorkspaceId, moderatorUser.userId, "member");
    await t.db.pool.query(
      "insert into session_members (session_id, user_id, role) values ($1, $2, 'moderator')",
      [a.sessionId, moderatorUser.userId],
    );
    const moderator = await connect(a.sessionId, moderatorUser.token);
    expect(await request(moderator.socket, "media:ready", {})).toMatchObject({
      ok: false,
      error: { code: "FORBIDDEN" },
    });

    await request(a.presenter.socket, "media:ready", {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(a.presenter.received.of("signal:candidate")).toEqual([]);
    for (const client of [first!.client, second!.client, outsider.client, b.presenter])
      expect(client.received.of("signal:description")).toEqual([]);
  });

  it.each([
    ["an SDP of another type", { description: { type: "pranswer", sdp: SDP } }, "VALIDATION_FAILED"],
    ["something that is not an SDP", { description: { type: "offer", sdp: "hello" } }, "VALIDATION_FAILED"],
    [
      "an SDP over 32 KiB",
      { description: { type: "offer", sdp: `${SDP}a=x:${"y".repeat(32_800)}` } },
      "VALIDATION_FAILED",
    ],
    [
      "a message over the event's cap",
      { description: { type: "offer", sdp: `${SDP}a=x:${"y".repeat(40_000)}` } },
      "PAYLOAD_TOO_LARGE",
    ],
    ["an unknown field", { description: { type: "offer", sdp: SDP }, extra: 1 }, "VALIDATION_FAILED"],
    [
      "a stream of an unknown role",
      { description: { type: "offer", sdp: SDP }, streams: [{ streamId: "s", role: "cam" }] },
      "VALIDATION_FAILED",
    ],
  ])("refuses %s with a stable code", async (_what, body, code) => {
    const { presenter, attendees } = await stage(1);
    const ack = await request(presenter.socket, "signal:description", {
      to: attendees[0]!.attendee.peerId,
      ...body,
    });
    expect(ack).toMatchObject({ ok: false, error: { code } });
  });

  it.each([
    [{ candidate: "a=candidate:1 1 udp 1 127.0.0.1 1 typ host" }],
    [{ candidate: "candidate:1 1 udp 1 127.0.0.1 1 typ host", sdpMLineIndex: -1 }],
    [{ candidate: "candidate:1 1 udp 1 127.0.0.1 1 typ host", foo: "bar" }],
    ["candidate:1 1 udp 1 127.0.0.1 1 typ host"],
  ])("refuses the candidate %j", async (candidate) => {
    const { presenter, attendees } = await stage(1);
    const ack = await request(presenter.socket, "signal:candidate", {
      to: attendees[0]!.attendee.peerId,
      candidate,
    });
    expect(ack).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
    expect(
      await request(presenter.socket, "signal:candidate", { to: "not-a-peer", candidate: null }),
    ).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
  });

  it("announces screen share, and refuses it when the session's settings forbid it", async () => {
    const { sessionId, presenter, attendees, setup } = await stage(1);
    const viewer = attendees[0]!;
    expect(
      await request(presenter.socket, "media:screen", { action: "start", streamId: "screen-1" }),
    ).toEqual({
      ok: true,
      data: { streamId: "screen-1", active: true },
    });
    await until("attendee told of the screen", () => viewer.client.received.of("media:screen").length === 1);
    expect(viewer.client.received.of("media:screen")[0]).toEqual({
      sessionId,
      presenterPeerId: setup.peerId,
      streamId: "screen-1",
      active: true,
    });
    const screenOffer = {
      to: viewer.attendee.peerId,
      description: { type: "offer", sdp: SDP },
      streams: [
        { streamId: "cam-1", role: "camera" },
        { streamId: "screen-1", role: "screen" },
      ],
    };
    expect(await request(presenter.socket, "signal:description", screenOffer)).toMatchObject({ ok: true });
    // An attendee announces no streams.
    expect(
      await request(viewer.client.socket, "signal:description", {
        to: setup.peerId,
        description: { type: "answer", sdp: SDP },
        streams: [{ streamId: "x", role: "camera" }],
      }),
    ).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });

    await t.db.pool.query(
      `update sessions set settings = jsonb_set(settings, '{media}', '{"screenShareAllowed": false}') where id = $1`,
      [sessionId],
    );
    await new Promise((resolve) => setTimeout(resolve, 2_100)); // the settings cache's lifetime
    expect(
      await request(presenter.socket, "media:screen", { action: "start", streamId: "screen-2" }),
    ).toMatchObject({ ok: false, error: { code: "SCREEN_SHARE_NOT_ALLOWED" } });
    expect(await request(presenter.socket, "signal:description", screenOffer)).toMatchObject({
      ok: false,
      error: { code: "SCREEN_SHARE_NOT_ALLOWED" },
    });
    expect(
      await request(presenter.socket, "media:screen", { action: "stop", streamId: "screen-1" }),
    ).toMatchObject({
      ok: true,
    });
    const { rows } = await t.db.pool.query(
      "select type from session_events where session_id = $1 and type like 'media.screen%' order by id",
      [sessionId],
    );
    expect(rows.map((r) => r.type)).toEqual(["media.screen_started", "media.screen_stopped"]);
  });

  it("tracks both ends' states; the first connected records the time to connect once", async () => {
    const { sessionId, presenter, attendees, setup } = await stage(1);
    const viewer = attendees[0]!;
    const report = (client: Connected, peerId: string, state: string) =>
      request<MediaLinkView>(client.socket, "media:state", { peerId, state });
    expect(await report(presenter, viewer.attendee.peerId, "connecting")).toMatchObject({
      ok: true,
      data: { presenterState: "connecting", attendeeState: "new", connectedAt: null },
    });
    const [fromAttendee, fromPresenter] = await Promise.all([
      report(viewer.client, setup.peerId, "connected"),
      report(presenter, viewer.attendee.peerId, "connected"),
    ]);
    expect(fromAttendee.ok && fromPresenter.ok).toBe(true);
    // Whichever report committed second saw both ends connected; both saw the same time to connect.
    const acks = [fromAttendee, fromPresenter].map((a) => (a.ok ? a.data : null));
    const link = acks.find((l) => l?.attendeeState === "connected" && l.presenterState === "connected");
    expect(acks[0]?.connectMs).toBe(acks[1]?.connectMs);
    expect(link).toMatchObject({
      attendeeId: viewer.attendee.id,
      peerId: viewer.attendee.peerId,
      presenterPeerId: setup.peerId,
      attendeeState: "connected",
      presenterState: "connected",
      attempts: 2,
    });
    expect(link?.connectMs).toBeGreaterThanOrEqual(0);
    expect(link?.attendeeStateAt).not.toBeNull();
    const { rows } = await t.db.pool.query(
      "select type, payload from session_events where session_id = $1 and type like 'media.%'",
      [sessionId],
    );
    expect(rows).toEqual([
      {
        type: "media.connected",
        payload: expect.objectContaining({
          attendeeId: viewer.attendee.id,
          presenterPeerId: setup.peerId,
          connectMs: link?.connectMs,
        }),
      },
    ]);
    await until("presenter got the link updates", () => presenter.received.of("media:link").length >= 3);

    // The attendee's side fails: the presenter is asked to restart ICE; the restart offer is counted.
    expect(await report(viewer.client, setup.peerId, "failed")).toMatchObject({ ok: true });
    await until("presenter asked to restart", () =>
      presenter.received.of("media:peer").some((p) => p.reason === "restart"),
    );
    await request(presenter.socket, "signal:description", {
      to: viewer.attendee.peerId,
      description: { type: "offer", sdp: SDP },
      iceRestart: true,
    });
    await until("restart offer relayed", () =>
      viewer.client.received.of("signal:description").some((d) => d.iceRestart === true),
    );
    const restarts = await t.db.pool.query("select ice_restarts from media_links where attendee_id = $1", [
      viewer.attendee.id,
    ]);
    expect(restarts.rows[0].ice_restarts).toBe(1);
  });

  it("applies one end's reports in the order sent, however fast they come", async () => {
    const { presenter, attendees } = await stage(1);
    const peerId = attendees[0]!.attendee.peerId;
    const states = ["connecting", "connected", "disconnected", "connected", "disconnected", "connected"];
    const acks = await Promise.all(
      states.map((state) => request<MediaLinkView>(presenter.socket, "media:state", { peerId, state })),
    );
    expect(acks.map((a) => (a.ok ? a.data.presenterState : a.error.code))).toEqual(states);
    // Recorded in the order sent: each report's time follows the previous one's, and the last one stays.
    const times = acks.map((a) => (a.ok ? Date.parse(a.data.presenterStateAt!) : Number.NaN));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    const { rows } = await t.db.pool.query("select presenter_state from media_links where attendee_id = $1", [
      attendees[0]!.attendee.id,
    ]);
    expect(rows[0].presenter_state).toBe("connected");
  });

  it("cleans peers up on leave and disconnect; a presenter coming back is given every ready attendee", async () => {
    const { sessionId, presenter, attendees, setup } = await stage(3);
    const [stays, leaves, drops] = attendees;
    expect(await request(leaves!.client.socket, "media:leave", {})).toEqual({ ok: true, data: null });
    drops!.client.socket.close();
    await until("presenter told both are gone", () => presenter.received.of("media:peer-left").length === 2);
    expect(presenter.received.of("media:peer-left")).toEqual(
      expect.arrayContaining([
        { sessionId, peerId: leaves!.attendee.peerId, attendeeId: leaves!.attendee.id, reason: "left" },
        { sessionId, peerId: drops!.attendee.peerId, attendeeId: drops!.attendee.id, reason: "disconnected" },
      ]),
    );

    presenter.socket.close();
    await until("attendee told the presenter left", () =>
      stays!.client.received.of("media:presenter").some((p) => p.status === "left"),
    );
    const back = await connect(sessionId, host.token);
    const again = await ready(back);
    expect(again.peerId).toBe(setup.peerId);
    expect(again.peers.map((p) => p.peerId)).toEqual([stays!.attendee.peerId]);
  });

  it("summarises quality for the presenter, coalesced, with bandwidth recommendations", async () => {
    const { sessionId, presenter, attendees, setup } = await stage(3);
    const figures = [
      { rttMs: 20, jitterMs: 2, packetLossPct: 0, bitrateKbps: 2000, fps: 30 },
      { rttMs: 60, jitterMs: 5, packetLossPct: 1, bitrateKbps: 1500, fps: 30 },
      { rttMs: 500, jitterMs: 40, packetLossPct: 6, bitrateKbps: 300, fps: 12 },
    ];
    const reports = attendees.flatMap((a, i) =>
      [0, 1, 2].map(() => request(a.client.socket, "media:stats", { peerId: setup.peerId, ...figures[i] })),
    );
    for (const ack of await Promise.all(reports)) expect(ack).toEqual({ ok: true, data: null });
    expect(
      await request(presenter.socket, "media:stats", { peerId: attendees[0]!.attendee.peerId, rttMs: 22 }),
    ).toMatchObject({ ok: true });
    expect(
      await request(attendees[0]!.client.socket, "media:stats", { peerId: setup.peerId, fps: 500 }),
    ).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });

    await until("a summary over the 3 attendees", () =>
      presenter.received.of("media:quality").some((q) => q.attendees === 3),
    );
    // 10 reports, sent together: a summary per interval with new reports, not one per report.
    expect(presenter.received.of("media:quality").length).toBeLessThan(10);
    const summary = presenter.received.of("media:quality").find((q) => q.attendees === 3)!;
    expect(summary).toMatchObject({
      sessionId,
      rttMs: { min: 20, p50: 60, max: 500 },
      packetLossPct: { min: 0, p50: 1, max: 6 },
      fps: { min: 12, max: 30 },
      levels: { good: 2, fair: 0, poor: 1, bad: 0 },
    });
    const bandwidth = presenter.received.of("media:bandwidth").flatMap((b) => b.links);
    expect(bandwidth.find((l) => l.peerId === attendees[2]!.attendee.peerId)).toMatchObject({
      level: "poor",
      maxBitrateKbps: 500,
      maxHeight: 360,
    });
    expect(bandwidth.find((l) => l.peerId === attendees[0]!.attendee.peerId)).toMatchObject({
      level: "good",
      maxBitrateKbps: 2500,
    });
    // Attendees get none of it.
    expect(attendees[0]!.client.received.of("media:quality")).toEqual([]);
  });

  it("keeps quality minutes, merging a minute saved twice (two instances) into a weighted average", async () => {
    const { sessionId, attendees } = await stage(1);
    const attendeeId = attendees[0]!.attendee.id;
    const minute = new Date("2026-11-26T10:00:00Z");
    const bucket = (reports: number, rttMs: number | null, lossMax: number): QualityBucket => ({
      sessionId,
      attendeeId,
      reporter: "attendee",
      minute,
      reports,
      rttMs,
      rttMaxMs: rttMs,
      jitterMs: null,
      packetLossPct: 1,
      packetLossMaxPct: lossMax,
      bitrateKbps: 900,
      fps: 30,
    });
    await saveQualityMinutes(t.db.db, [bucket(3, 10, 2)]);
    await saveQualityMinutes(t.db.db, [bucket(1, 50, 1)]);
    await saveQualityMinutes(t.db.db, [
      { ...bucket(1, null, 0), attendeeId: "00000000-0000-4000-8000-000000000000" },
    ]);
    const { rows } = await t.db.pool.query(
      "select reports, rtt_ms, rtt_max_ms, packet_loss_max_pct, fps from media_quality_minutes where session_id = $1",
      [sessionId],
    );
    expect(rows).toEqual([{ reports: 4, rtt_ms: 20, rtt_max_ms: 50, packet_loss_max_pct: 2, fps: 30 }]);
  });
});

describe("signaling budget", () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    t = await createTestApp({
      env: {
        SIGNALING_EVENTS_PER_SECOND: "1",
        SIGNALING_EVENT_BURST: "3",
        REALTIME_FLOOD_DISCONNECT_AFTER: "1000",
      },
    });
    url = await listen(t.app);
  });
  afterAll(async () => t?.close());

  it("refuses an attendee's signaling past its own budget, leaving its other events alone", async () => {
    const host = await signIn(t.app, t.db.db, "Budget Host");
    const sessionId = await createSession(t.db.db, {
      userId: host.userId,
      workspaceId: host.personalWorkspaceId,
    });
    const res = await t.app.inject({
      method: "POST",
      url: `/api/attendee/join/${sessionId}`,
      payload: { name: "B" },
    });
    const { socket } = await connectSocket(url, {
      sessionId,
      token: (res.json() as { token: string }).token,
    });
    try {
      const to = `p${"0".repeat(31)}`;
      const acks = [];
      for (let i = 0; i < 8; i++)
        acks.push(await request(socket, "signal:candidate", { to, candidate: null }));
      const codes = acks.map((a) => (a.ok ? "ok" : a.error.code));
      expect(codes.filter((c) => c === "ok").length).toBeGreaterThanOrEqual(4);
      expect(codes).toContain("RATE_LIMITED");
      expect(await request(socket, "session:snapshot", {})).toMatchObject({ ok: true });
    } finally {
      socket.close();
    }
  });
});
