import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { createSession, signIn } from "../../../test/helpers/actors.js";
import { connectSocket, listen, request, until, type Connected } from "../../../test/helpers/sockets.js";
import { saveQualityMinutes, type QualityBucket } from "./signaling.repository.js";
import type { MediaLinkView } from "./signaling.schemas.js";
import { SDP, signalingFixture } from "./signaling.fixture.js";

describe("WebRTC signaling: link states, quality and its minutes", () => {
  const { ctx, stage } = signalingFixture();
  let t: TestApp;
  beforeAll(() => ({ t } = ctx));

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
