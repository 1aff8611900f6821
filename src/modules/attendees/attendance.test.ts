import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { createSession, signIn, type SignedInUser } from "../../../test/helpers/actors.js";

describe("joining and leaving", () => {
  let t: TestApp;
  let host: SignedInUser;
  beforeAll(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_IP_MAX: "100000" } });
    host = await signIn(t.app, t.db.db, "Join Host");
  });
  afterAll(async () => t?.close());

  const session = (status: "draft" | "live" = "live") =>
    createSession(t.db.db, { userId: host.userId, workspaceId: host.personalWorkspaceId }, status);
  const join = (sessionId: string, payload: object, token?: string) =>
    t.app.inject({
      method: "POST",
      url: `/api/attendee/join/${sessionId}`,
      payload,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  it("joins with a name, answers a token for this session only, and logs the join", async () => {
    const sessionId = await session();
    const res = await join(sessionId, { name: "  Ada  ", email: "ada@example.test" });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ attendee: { displayName: "Ada", status: "connected" }, rejoined: false });
    expect(body.session).toEqual({ id: sessionId, title: "A talk", status: "live" });
    const me = await t.app.inject({
      method: "GET",
      url: "/api/me",
      headers: { authorization: `Bearer ${body.token}` },
    });
    expect(me.json()).toEqual({ kind: "attendee", attendeeId: body.attendee.id, sessionId });
    const { rows } = await t.db.pool.query("select email from attendees where id = $1", [body.attendee.id]);
    // The session did not ask for emails: none is kept.
    expect(rows[0].email).toBeNull();
    const events = await t.db.pool.query("select type from session_events where session_id = $1", [
      sessionId,
    ]);
    expect(events.rows.map((r: { type: string }) => r.type)).toEqual(["attendee.joined"]);
  });

  it("keeps the email when the session asks for it", async () => {
    const sessionId = await session();
    await t.db.pool.query(`update sessions set settings = '{"collectAttendeeEmail": true}' where id = $1`, [
      sessionId,
    ]);
    const res = await join(sessionId, { name: "Bob", email: "bob@example.test" });
    const { rows } = await t.db.pool.query("select email from attendees where id = $1", [
      res.json().attendee.id,
    ]);
    expect(rows[0].email).toBe("bob@example.test");
  });

  it("rejoins as the same attendee with its token, after leaving too", async () => {
    const sessionId = await session();
    const first = (await join(sessionId, { name: "Cleo" })).json();
    const leave = await t.app.inject({
      method: "POST",
      url: `/api/attendee/leave/${sessionId}`,
      headers: { authorization: `Bearer ${first.token}` },
    });
    expect(leave.statusCode).toBe(204);
    const again = await join(sessionId, { name: "Cleo" }, first.token);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ attendee: { id: first.attendee.id }, rejoined: true });
  });

  it.each([
    ["an empty name", { name: "   " }],
    ["a name of 81 characters", { name: "x".repeat(81) }],
    ["a control character", { name: "Eve\u0007" }],
    ["an unknown field", { name: "Mallory", role: "moderator" }],
  ])("refuses %s with 400", async (_label, payload) => {
    const res = await join(await session(), payload);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: "VALIDATION_FAILED" });
  });

  it("is closed for drafts (409), ended sessions (410) and unknown ones (404)", async () => {
    expect((await join(await session("draft"), { name: "Early" })).statusCode).toBe(409);
    const ended = await session();
    await t.db.pool.query("update sessions set status = 'ended', ended_at = now() where id = $1", [ended]);
    const late = await join(ended, { name: "Late" });
    expect(late.statusCode).toBe(410);
    expect(late.json()).toMatchObject({ code: "SESSION_ENDED" });
    expect((await join("00000000-0000-4000-8000-000000000000", { name: "Lost" })).statusCode).toBe(404);
  });

  it("never seats more than the capacity, whatever arrives at once; leaving frees a seat", async () => {
    const sessionId = await session();
    await t.db.pool.query("update sessions set capacity = 5 where id = $1", [sessionId]);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => join(sessionId, { name: `Guest ${i}` })),
    );
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 409)).toHaveLength(25);
    expect(results.find((r) => r.statusCode === 409)?.json()).toMatchObject({ code: "SESSION_FULL" });
    const { rows } = await t.db.pool.query("select count(*)::int as n from attendees where session_id = $1", [
      sessionId,
    ]);
    expect(rows[0].n).toBe(5);
    const seated = results.find((r) => r.statusCode === 201)!.json();
    await t.app.inject({
      method: "POST",
      url: `/api/attendee/leave/${sessionId}`,
      headers: { authorization: `Bearer ${seated.token}` },
    });
    expect((await join(sessionId, { name: "Next in line" })).statusCode).toBe(201);
  });

  it("lets only the attendee itself leave", async () => {
    const sessionId = await session();
    const other = await session();
    const stranger = (await join(other, { name: "Elsewhere" })).json();
    const res = await t.app.inject({
      method: "POST",
      url: `/api/attendee/leave/${sessionId}`,
      headers: { authorization: `Bearer ${stranger.token}` },
    });
    expect(res.statusCode).toBe(403);
    const anonymous = await t.app.inject({ method: "POST", url: `/api/attendee/leave/${sessionId}` });
    expect(anonymous.statusCode).toBe(401);
  });

  it("records connection state: every heartbeat, but only changes in the event log", async () => {
    const sessionId = await session();
    const { token, attendee } = (await join(sessionId, { name: "Dana" })).json();
    const report = (payload: object, bearer = token) =>
      t.app.inject({
        method: "POST",
        url: "/api/attendee/update-status",
        headers: { authorization: `Bearer ${bearer}` },
        payload,
      });
    expect((await report({ status: "connected" })).statusCode).toBe(204);
    expect(
      (await report({ status: "reconnecting", quality: { rttMs: 180, packetLossPct: 4 } })).statusCode,
    ).toBe(204);
    expect((await report({ status: "reconnecting" })).statusCode).toBe(204);
    const { rows } = await t.db.pool.query(
      "select type, payload from session_events where session_id = $1 and type = 'attendee.status'",
      [sessionId],
    );
    expect(rows).toEqual([
      {
        type: "attendee.status",
        payload: {
          attendeeId: attendee.id,
          from: "connected",
          to: "reconnecting",
          quality: { rttMs: 180, packetLossPct: 4 },
        },
      },
    ]);
    expect((await report({ status: "away" })).statusCode).toBe(400);
    expect((await report({ status: "connected" }, host.token)).statusCode).toBe(403);
    await t.app.inject({
      method: "POST",
      url: `/api/attendee/leave/${sessionId}`,
      headers: { authorization: `Bearer ${token}` },
    });
    const afterLeaving = await report({ status: "connected" });
    expect(afterLeaving.statusCode).toBe(409);
    expect(afterLeaving.json()).toMatchObject({ code: "ATTENDEE_LEFT" });
  });

  it("lists attendees with status and engagement to the host, a page at a time, and to no attendee", async () => {
    const sessionId = await session();
    const joined = [];
    for (const name of ["First", "Second", "Third"]) joined.push((await join(sessionId, { name })).json());
    const { rows } = await t.db.pool.query(
      "insert into questions (session_id, author_attendee_id, text) values ($1, $2, 'Why is the sky blue?') returning id",
      [sessionId, joined[0].attendee.id],
    );
    await t.db.pool.query(
      "insert into question_votes (question_id, voter_id, attendee_id, value) values ($1, $2, $2, 1)",
      [rows[0].id, joined[1].attendee.id],
    );
    const page = (query: string, headers = { authorization: `Bearer ${host.token}` }) =>
      t.app.inject({ method: "GET", url: `/api/sessions/${sessionId}/attendees${query}`, headers });
    const first = await page("?limit=2");
    expect(first.statusCode, first.body).toBe(200);
    const body = first.json();
    expect(body.items.map((item: { displayName: string }) => item.displayName)).toEqual(["First", "Second"]);
    expect(body.items[0]).toMatchObject({ status: "connected", questionsAsked: 1, votesCast: 0 });
    expect(body.items[1]).toMatchObject({ questionsAsked: 0, votesCast: 1 });
    const second = (await page(`?limit=2&cursor=${body.nextCursor}`)).json();
    expect(second).toMatchObject({ items: [{ displayName: "Third" }], nextCursor: null });
    expect((await page("", { authorization: `Bearer ${joined[0].token}` })).statusCode).toBe(403);
    const stranger = await signIn(t.app, t.db.db, "Not Staff");
    expect((await page("", { authorization: `Bearer ${stranger.token}` })).statusCode).toBe(404);
  });
});
