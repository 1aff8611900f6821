import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { createSession, signIn, type SignedInUser } from "../../../test/helpers/actors.js";
import { sweepPresence } from "./presence-sweeper.js";

/**
 * Seats: the count of present attendees kept on the session row by the `attendees_seats` trigger, which refuses
 * a seat beyond capacity. Whatever path an attendee takes (join, rejoin, status report, leave, ban, removal, the
 * presence sweep, deletion), the counter must equal a count over the attendees table.
 */
describe("seats", () => {
  let t: TestApp;
  let host: SignedInUser;
  beforeAll(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_IP_MAX: "100000", RATE_LIMIT_ACTOR_MAX: "100000" } });
    host = await signIn(t.app, t.db.db, "Seat Host");
  });
  afterAll(async () => t?.close());

  const session = async (capacity: number, status: "draft" | "live" = "live") => {
    const id = await createSession(
      t.db.db,
      { userId: host.userId, workspaceId: host.personalWorkspaceId },
      status,
    );
    await t.db.pool.query("update sessions set capacity = $2 where id = $1", [id, capacity]);
    return id;
  };
  const join = (sessionId: string, name: string, token?: string) =>
    t.app.inject({
      method: "POST",
      url: `/api/attendee/join/${sessionId}`,
      payload: { name },
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  const asAttendee = (method: "POST", url: string, token: string, payload?: object) =>
    t.app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } });
  /** The counters on the row beside the truth in the attendees table. */
  const seats = async (sessionId: string) => {
    const { rows } = await t.db.pool.query(
      `select s.attendees_present as present, s.attendees_peak as peak,
              (select count(*)::int from attendees a
               where a.session_id = s.id and a.status in ('connected', 'reconnecting')) as counted
       from sessions s where s.id = $1`,
      [sessionId],
    );
    return rows[0] as { present: number; peak: number; counted: number };
  };

  it(
    "seats exactly 500 of 1,000 simultaneous joins into a session of capacity 500",
    { timeout: 120_000 },
    async () => {
      const sessionId = await session(500);
      const results = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => join(sessionId, `Storm ${i}`)),
      );
      const histogram: Record<string, number> = {};
      for (const r of results) {
        const key =
          `${r.statusCode} ${r.statusCode === 201 ? "" : (r.json() as { code: string }).code}`.trim();
        histogram[key] = (histogram[key] ?? 0) + 1;
      }
      expect(histogram).toEqual({ "201": 500, "409 SESSION_FULL": 500 });
      const { rows } = await t.db.pool.query(
        `select count(*)::int as n, count(distinct display_name)::int as names,
                (select count(*)::int from session_events e
                 where e.session_id = $1 and e.type = 'attendee.joined') as logged
         from attendees where session_id = $1`,
        [sessionId],
      );
      expect(rows[0]).toEqual({ n: 500, names: 500, logged: 500 });
      expect(await seats(sessionId)).toEqual({ present: 500, peak: 500, counted: 500 });
    },
  );

  it("keeps the count exact through rejoin, status reports, leave, ban, removal, the sweep and deletion", async () => {
    const sessionId = await session(10);
    const joined = [];
    for (let i = 0; i < 6; i += 1) joined.push((await join(sessionId, `Guest ${i}`)).json());
    expect(await seats(sessionId)).toEqual({ present: 6, peak: 6, counted: 6 });

    // Reconnecting still holds the seat; a heartbeat changes nothing.
    await asAttendee("POST", "/api/attendee/update-status", joined[0].token, { status: "reconnecting" });
    await asAttendee("POST", "/api/attendee/update-status", joined[1].token, { status: "connected" });
    expect(await seats(sessionId)).toMatchObject({ present: 6, counted: 6 });
    // Disconnected frees it, and coming back takes it again.
    await asAttendee("POST", "/api/attendee/update-status", joined[0].token, { status: "disconnected" });
    expect(await seats(sessionId)).toMatchObject({ present: 5, counted: 5 });
    await asAttendee("POST", "/api/attendee/update-status", joined[0].token, { status: "connected" });
    expect(await seats(sessionId)).toMatchObject({ present: 6, counted: 6 });

    // Leaving twice frees one seat; rejoining takes it back; rejoining while present takes none.
    await asAttendee("POST", `/api/attendee/leave/${sessionId}`, joined[2].token);
    await asAttendee("POST", `/api/attendee/leave/${sessionId}`, joined[2].token);
    expect(await seats(sessionId)).toMatchObject({ present: 5, counted: 5 });
    expect((await join(sessionId, "Guest 2", joined[2].token)).json()).toMatchObject({ rejoined: true });
    expect((await join(sessionId, "Guest 3", joined[3].token)).json()).toMatchObject({ rejoined: true });
    expect(await seats(sessionId)).toMatchObject({ present: 6, counted: 6 });

    // Moderation frees seats.
    const moderate = (method: "POST" | "DELETE", url: string) =>
      t.app.inject({ method, url, headers: { authorization: `Bearer ${host.token}` } });
    expect(
      (await moderate("POST", `/api/sessions/${sessionId}/attendees/${joined[4].attendee.id}/ban`))
        .statusCode,
    ).toBe(204);
    expect(
      (await moderate("DELETE", `/api/sessions/${sessionId}/attendees/${joined[5].attendee.id}`)).statusCode,
    ).toBe(204);
    expect(await seats(sessionId)).toMatchObject({ present: 4, counted: 4 });

    // The sweep frees the seats of the silent.
    await t.db.pool.query(
      "update attendees set last_seen_at = now() - interval '1 hour' where id = any($1::uuid[])",
      [[joined[0].attendee.id, joined[1].attendee.id]],
    );
    let marked: number | null = null;
    while (marked === null) marked = await sweepPresence(t.db.db, 60_000);
    expect(marked).toBe(2);
    expect(await seats(sessionId)).toEqual({ present: 2, peak: 6, counted: 2 });

    // Deleting attendees (as a cascade would) frees their seats too.
    await t.db.pool.query("delete from attendees where id = $1", [joined[2].attendee.id]);
    expect(await seats(sessionId)).toMatchObject({ present: 1, counted: 1 });
  });

  it("refuses a disconnected attendee's return into a session that filled up meanwhile", async () => {
    const sessionId = await session(1);
    const first = (await join(sessionId, "First")).json();
    await asAttendee("POST", "/api/attendee/update-status", first.token, { status: "disconnected" });
    expect((await join(sessionId, "Second")).statusCode).toBe(201);
    const back = await asAttendee("POST", "/api/attendee/update-status", first.token, {
      status: "connected",
    });
    expect(back.statusCode).toBe(409);
    expect(back.json()).toMatchObject({ code: "SESSION_FULL" });
    const rejoin = await join(sessionId, "First", first.token);
    expect(rejoin.statusCode).toBe(409);
    expect(rejoin.json()).toMatchObject({ code: "SESSION_FULL" });
    expect(await seats(sessionId)).toEqual({ present: 1, peak: 1, counted: 1 });
    const { rows } = await t.db.pool.query("select status from attendees where id = $1", [first.attendee.id]);
    expect(rows[0].status).toBe("disconnected");
  });

  it("seats nobody in a draft or an ended session, whoever writes the row", async () => {
    const draft = await session(10, "draft");
    const ended = await session(10);
    await t.db.pool.query("update sessions set status = 'ended', ended_at = now() where id = $1", [ended]);
    const insert = (sessionId: string) =>
      t.db.pool.query("insert into attendees (session_id, display_name) values ($1, 'Direct')", [sessionId]);
    await expect(insert(draft)).rejects.toMatchObject({ code: "PD003" });
    await expect(insert(ended)).rejects.toMatchObject({ code: "PD002" });
    // A row written as already gone takes no seat, so history can still be recorded.
    await t.db.pool.query(
      "insert into attendees (session_id, display_name, status) values ($1, 'Historic', 'left')",
      [ended],
    );
    expect(await seats(ended)).toEqual({ present: 0, peak: 0, counted: 0 });
  });

  it("lets a lowered capacity stand for those seated and refuses newcomers until seats free up", async () => {
    const sessionId = await session(3);
    const seated = [];
    for (let i = 0; i < 3; i += 1) seated.push((await join(sessionId, `Early ${i}`)).json());
    await t.db.pool.query("update sessions set capacity = 1 where id = $1", [sessionId]);
    expect((await join(sessionId, "Late")).json()).toMatchObject({ code: "SESSION_FULL" });
    await asAttendee("POST", `/api/attendee/leave/${sessionId}`, seated[0].token);
    await asAttendee("POST", `/api/attendee/leave/${sessionId}`, seated[1].token);
    expect((await join(sessionId, "Late")).json()).toMatchObject({ code: "SESSION_FULL" });
    await asAttendee("POST", `/api/attendee/leave/${sessionId}`, seated[2].token);
    expect((await join(sessionId, "Late")).statusCode).toBe(201);
    expect(await seats(sessionId)).toEqual({ present: 1, peak: 3, counted: 1 });
  });
});
