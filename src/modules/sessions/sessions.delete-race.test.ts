import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { createAttendee, signIn, type SignedInUser } from "../../../test/helpers/actors.js";
import { disconnectAndCommit, presenceHolding, someoneWaitsFor } from "../../../test/helpers/row-locks.js";

/**
 * Deleting a session locks its row, then (cascading) its attendees' rows. A presence change locks its attendee's row,
 * then the session's (the seat trigger frees or takes a seat): the other order. Without giving way, the two
 * deadlock, and PostgreSQL kills one of them after a second: the delete answered 500, or an attendee's presence
 * change failed.
 */
describe("sessions: deleting a session while its attendees' presence is being written", () => {
  let t: TestApp;
  let host: SignedInUser;
  beforeAll(async () => {
    t = await createTestApp();
    host = await signIn(t.app, t.db.db, "Delete Race Host");
  });
  afterAll(async () => t?.close());

  const scheduledSessionWithAttendee = async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/sessions",
      headers: { authorization: `Bearer ${host.token}` },
      payload: { title: "Cancelled soon", scheduledAt: new Date(Date.now() + 86_400_000).toISOString() },
    });
    const sessionId = (res.json() as { id: string }).id;
    const attendee = await createAttendee(t.app, t.db.db, sessionId, "Leaving");
    return { sessionId, attendeeId: attendee.attendeeId };
  };

  const remove = (sessionId: string) =>
    t.app.inject({
      method: "DELETE",
      url: `/api/sessions/${sessionId}`,
      headers: { authorization: `Bearer ${host.token}` },
    });

  const exists = async (sessionId: string) =>
    (await t.db.pool.query("select 1 from sessions where id = $1", [sessionId])).rowCount === 1;

  it("deletes the session once a presence change that holds an attendee's row commits, and both succeed", async () => {
    const { sessionId, attendeeId } = await scheduledSessionWithAttendee();
    const presence = await presenceHolding(t.db.pool, attendeeId);
    try {
      const deleting = remove(sessionId);
      // The delete holds the session's row and waits for the attendee's.
      await someoneWaitsFor(t.db.pool, presence.pid);
      await disconnectAndCommit(presence.client, attendeeId);
      const res = await deleting;
      expect(res.statusCode, res.body).toBe(204);
      expect(await exists(sessionId)).toBe(false);
    } finally {
      presence.client.release();
    }
  });

  it("refuses the delete with 409 SESSION_BUSY, nothing deleted, while a row stays locked, then deletes", async () => {
    const { sessionId, attendeeId } = await scheduledSessionWithAttendee();
    const presence = await presenceHolding(t.db.pool, attendeeId);
    let busy;
    try {
      busy = await remove(sessionId);
    } finally {
      await presence.client.query("rollback");
      presence.client.release();
    }
    expect(busy.statusCode).toBe(409);
    expect(busy.headers["content-type"]).toContain("application/problem+json");
    expect(busy.headers["retry-after"]).toBe("1");
    expect(busy.json()).toMatchObject({ code: "SESSION_BUSY" });
    expect(await exists(sessionId)).toBe(true);
    const { rows } = await t.db.pool.query("select count(*)::int as n from attendees where session_id = $1", [
      sessionId,
    ]);
    expect(rows[0]).toEqual({ n: 1 });
    expect((await remove(sessionId)).statusCode).toBe(204);
    expect(await exists(sessionId)).toBe(false);
  });
});
