import { beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../../../test/helpers/app.js";
import { signIn, addToWorkspace, type SignedInUser } from "../../../test/helpers/actors.js";
import { request, until } from "../../../test/helpers/sockets.js";
import { CANDIDATE, SDP, signalingFixture } from "./signaling.fixture.js";

describe("WebRTC signaling: relay, edges, screen share, cleanup", () => {
  const { ctx, session, join, connect, ready, stage } = signalingFixture();
  let t: TestApp;
  let host: SignedInUser;
  beforeAll(() => ({ t, host } = ctx));

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
});
