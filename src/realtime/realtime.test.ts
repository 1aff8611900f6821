import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";
import { createSession, signIn, trustedOrigin, type SignedInUser } from "../../test/helpers/actors.js";
import {
  connectSocket,
  listen,
  refusal,
  request,
  until,
  type ClientSocket,
  type Connected,
} from "../../test/helpers/sockets.js";
import type { Snapshot } from "./events.js";

describe("real-time layer", () => {
  let t: TestApp;
  let url: string;
  let host: SignedInUser;
  let stranger: SignedInUser;
  const open: ClientSocket[] = [];
  beforeAll(async () => {
    t = await createTestApp({
      env: { RATE_LIMIT_IP_MAX: "100000", RATE_LIMIT_ACTOR_MAX: "100000", REALTIME_COALESCE_MS: "100" },
    });
    url = await listen(t.app);
    host = await signIn(t.app, t.db.db, "Socket Host");
    stranger = await signIn(t.app, t.db.db, "Socket Stranger");
  });
  afterEach(() => {
    for (const socket of open.splice(0)) socket.close();
  });
  afterAll(async () => t?.close());

  const session = (status: "draft" | "live" = "live") =>
    createSession(t.db.db, { userId: host.userId, workspaceId: host.personalWorkspaceId }, status);
  const join = async (sessionId: string, name: string) => {
    const res = await t.app.inject({
      method: "POST",
      url: `/api/attendee/join/${sessionId}`,
      payload: { name },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { token: string; attendee: { id: string; peerId: string } };
  };
  const connect = async (options: Parameters<typeof connectSocket>[1]): Promise<Connected> => {
    const connected = await connectSocket(url, options);
    open.push(connected.socket);
    return connected;
  };
  const statusOf = async (attendeeId: string) =>
    (await t.db.pool.query("select status from attendees where id = $1", [attendeeId])).rows[0]
      .status as string;

  it("sends a snapshot on connecting, and marks the attendee connected; closing leaves it reconnecting", async () => {
    const sessionId = await session();
    const ada = await join(sessionId, "Ada");
    await t.db.pool.query("update attendees set status = 'reconnecting' where id = $1", [ada.attendee.id]);
    const { socket, received } = await connect({ sessionId, token: ada.token });
    const [snapshot] = received.of("session:snapshot") as Snapshot[];
    expect(snapshot).toMatchObject({
      session: { id: sessionId, status: "live", title: "A talk" },
      attendees: { sessionId, count: 1 },
      you: { role: "attendee", attendeeId: ada.attendee.id, peerId: ada.attendee.peerId },
    });
    expect(await statusOf(ada.attendee.id)).toBe("connected");
    socket.close();
    await until(
      "reconnecting after the socket closed",
      async () => (await statusOf(ada.attendee.id)) === "reconnecting",
    );
  });

  it("gives the host staff events and everyone coalesced counts", async () => {
    const sessionId = await session();
    const staff = await connect({ sessionId, token: host.token });
    expect(staff.received.of("session:snapshot")[0]).toMatchObject({ you: { role: "host" } });
    const first = await join(sessionId, "First");
    const attendee = await connect({ sessionId, token: first.token });
    const joined = await Promise.all(Array.from({ length: 40 }, (_, i) => join(sessionId, `Guest ${i}`)));
    await until("the host saw 41 joins", () => staff.received.of("attendee:joined").length === 41);
    await until("the count reached 41", () =>
      attendee.received.of("attendees:count").some((c) => c.count === 41),
    );
    // Coalesced: 41 joins are a handful of count messages, not one per join.
    expect(attendee.received.of("attendees:count").length).toBeLessThan(10);
    const versions = attendee.received.of("attendees:count").map((c) => c.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    // Attendees never receive staff events.
    expect(attendee.received.of("attendee:joined")).toEqual([]);
    expect(staff.received.of("attendee:joined").map((e) => e.attendee.id)).toContain(joined[39]!.attendee.id);
  });

  it("refuses a connection without credential, with another session's token, or from a foreign origin", async () => {
    const sessionId = await session();
    const other = await session();
    const elsewhere = await join(other, "Elsewhere");
    expect(await refusal(url, { sessionId })).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(await refusal(url, { sessionId, token: elsewhere.token })).toMatchObject({
      code: "SESSION_NOT_FOUND",
    });
    expect(await refusal(url, { sessionId, token: stranger.token })).toMatchObject({
      code: "SESSION_NOT_FOUND",
    });
    expect(await refusal(url, { sessionId, token: "not-a-token" })).toMatchObject({
      code: expect.any(String),
    });
    expect(await refusal(url, { sessionId: "not-a-uuid", token: host.token })).toMatchObject({
      code: "INVALID_HANDSHAKE",
    });
    // Cross-site WebSocket hijacking: a page elsewhere opening a socket with the host's cookie.
    expect(
      await refusal(url, { sessionId, headers: { cookie: host.cookie, origin: "https://evil.example" } }),
    ).toMatchObject({ code: "ORIGIN_NOT_ALLOWED" });
    const fromOurPage = await connect({
      sessionId,
      headers: { cookie: host.cookie, origin: trustedOrigin(t.app) },
    });
    expect(fromOurPage.received.of("session:snapshot")[0]).toMatchObject({ you: { role: "host" } });
  });

  it("validates every inbound event and acknowledges it", async () => {
    const sessionId = await session();
    const ada = await join(sessionId, "Ada");
    const { socket } = await connect({ sessionId, token: ada.token });
    expect(await request(socket, "session:snapshot", {})).toMatchObject({
      ok: true,
      data: { session: { id: sessionId } },
    });
    expect(await request(socket, "no:such-event", {})).toEqual({
      ok: false,
      error: { code: "UNKNOWN_EVENT", message: expect.any(String) },
    });
    expect(await request(socket, "session:snapshot", { extra: 1 })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION_FAILED" },
    });
    expect(await request(socket, "presence:report", { quality: { rttMs: -1 } })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION_FAILED" },
    });
    expect(
      await request(socket, "presence:report", { quality: { rttMs: 1 }, pad: "x".repeat(600) }),
    ).toMatchObject({
      ok: false,
      error: { code: "PAYLOAD_TOO_LARGE" },
    });
    expect(
      await request(socket, "presence:report", { status: "reconnecting", quality: { rttMs: 90 } }),
    ).toEqual({
      ok: true,
      data: null,
    });
    expect(await statusOf(ada.attendee.id)).toBe("reconnecting");
    const staff = await connect({ sessionId, token: host.token });
    expect(await request(staff.socket, "presence:report", {})).toMatchObject({
      ok: false,
      error: { code: "FORBIDDEN" },
    });
  });

  it("tells attendees the session ended and disconnects them; the host stays", async () => {
    const sessionId = await session();
    const ada = await join(sessionId, "Ada");
    const attendee = await connect({ sessionId, token: ada.token });
    const staff = await connect({ sessionId, token: host.token });
    const disconnected = new Promise<string>((resolve) => attendee.socket.once("disconnect", resolve));
    const res = await t.app.inject({
      method: "POST",
      url: `/api/sessions/${sessionId}/end`,
      headers: { authorization: `Bearer ${host.token}` },
    });
    expect(res.statusCode).toBe(200);
    expect(await disconnected).toBe("io server disconnect");
    expect(attendee.received.of("session:ended")).toEqual([
      expect.objectContaining({
        sessionId,
        reason: "ended",
        session: expect.objectContaining({ status: "ended" }),
      }),
    ]);
    await until("the host saw it end", () => staff.received.of("session:ended").length === 1);
    expect(staff.socket.connected).toBe(true);
  });

  it("removes a banned attendee's sockets, after telling it why, and refuses it afterwards", async () => {
    const sessionId = await session();
    const spammer = await join(sessionId, "Spammer");
    const attendee = await connect({ sessionId, token: spammer.token });
    const staff = await connect({ sessionId, token: host.token });
    const disconnected = new Promise<string>((resolve) => attendee.socket.once("disconnect", resolve));
    const res = await t.app.inject({
      method: "POST",
      url: `/api/sessions/${sessionId}/attendees/${spammer.attendee.id}/ban`,
      headers: { authorization: `Bearer ${host.token}` },
    });
    expect(res.statusCode).toBe(204);
    expect(await disconnected).toBe("io server disconnect");
    expect(attendee.received.of("you:removed")).toEqual([{ sessionId, reason: "banned" }]);
    await until("the staff saw it leave", () => staff.received.of("attendee:left").length === 1);
    expect(staff.received.of("attendee:left")[0]).toEqual({
      sessionId,
      attendeeId: spammer.attendee.id,
      reason: "banned",
    });
    expect(await refusal(url, { sessionId, token: spammer.token })).toMatchObject({
      code: expect.any(String),
    });
  });

  it("converges after a reconnect: the snapshot carries what the client missed", async () => {
    const sessionId = await session("draft");
    await t.db.pool.query("update sessions set status = 'scheduled', scheduled_at = now() where id = $1", [
      sessionId,
    ]);
    const ada = await join(sessionId, "Ada");
    const first = await connect({ sessionId, token: ada.token });
    first.socket.close();
    // While it is away: the host edits and starts the session, and others join.
    const as = { authorization: `Bearer ${host.token}` };
    await t.app.inject({
      method: "PATCH",
      url: `/api/sessions/${sessionId}`,
      headers: as,
      payload: { title: "Renamed" },
    });
    await t.app.inject({ method: "POST", url: `/api/sessions/${sessionId}/start`, headers: as });
    await join(sessionId, "Bob");
    await join(sessionId, "Cy");
    const again = await connect({ sessionId, token: ada.token });
    const [snapshot] = again.received.of("session:snapshot") as Snapshot[];
    expect(snapshot!.session).toMatchObject({ title: "Renamed", status: "live" });
    expect(snapshot!.session.version).toBeGreaterThan(
      (first.received.of("session:snapshot")[0] as Snapshot).session.version,
    );
    expect(snapshot!.attendees.count).toBe(3);
  });
});
