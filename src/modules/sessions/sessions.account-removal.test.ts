import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createAttendee,
  createSession,
  makePlatformAdmin,
  signIn,
  type SignedInUser,
} from "../../../test/helpers/actors.js";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { disconnectAndCommit, presenceHolding, someoneWaitsFor } from "../../../test/helpers/row-locks.js";
import { connectSocket, listen, until } from "../../../test/helpers/sockets.js";

/**
 * Deleting a workspace or a user would delete their sessions by cascade: locking each session's row, then its
 * attendees' rows, the reverse of a presence change's order (a deadlock: the delete answered 500, or the presence
 * change failed), and without telling the sessions' clients. Their sessions are deleted first, one by one, as a
 * host's delete does.
 */
describe("sessions: deleting a workspace or a user deletes their sessions first", () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    t = await createTestApp();
    url = await listen(t.app);
  });
  afterAll(async () => t?.close());

  const post = (user: SignedInUser, path: string, payload: object) =>
    t.app.inject({ method: "POST", url: path, headers: { authorization: `Bearer ${user.token}` }, payload });

  const teamWorkspace = async (owner: SignedInUser) => {
    const created = await post(owner, "/api/auth/organization/create", {
      name: "Team",
      slug: `team-${randomBytes(4).toString("hex")}`,
    });
    expect(created.statusCode, created.body).toBe(200);
    return (created.json() as { id: string }).id;
  };

  /** A scheduled session (attendees may join it), created over HTTP by its host. */
  const scheduledSession = async (host: SignedInUser, workspaceId: string) => {
    const res = await post(host, "/api/sessions", {
      title: "Tomorrow's talk",
      workspaceId,
      scheduledAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { id: string }).id;
  };

  const count = async (table: "sessions" | "workspaces", id: string) =>
    (await t.db.pool.query(`select count(*)::int as n from ${table} where id = $1`, [id])).rows[0]
      .n as number;

  it("deletes a workspace while a presence change holds an attendee's row of its session: both succeed", async () => {
    const owner = await signIn(t.app, t.db.db, "Workspace Remover");
    const workspaceId = await teamWorkspace(owner);
    const sessionId = await scheduledSession(owner, workspaceId);
    const { attendeeId } = await createAttendee(t.app, t.db.db, sessionId, "Leaving");
    const presence = await presenceHolding(t.db.pool, attendeeId);
    try {
      const deleting = post(owner, "/api/auth/organization/delete", { organizationId: workspaceId });
      // The delete holds the session's row and waits for the attendee's.
      await someoneWaitsFor(t.db.pool, presence.pid);
      await disconnectAndCommit(presence.client, attendeeId);
      const res = await deleting;
      expect(res.statusCode, res.body).toBe(200);
    } finally {
      presence.client.release();
    }
    expect(await count("sessions", sessionId)).toBe(0);
    expect(await count("workspaces", workspaceId)).toBe(0);
  });

  it("refuses to delete a workspace with a live session (409 SESSION_LIVE), deleting none of its sessions", async () => {
    const owner = await signIn(t.app, t.db.db, "Live Workspace Owner");
    const workspaceId = await teamWorkspace(owner);
    const draft = await createSession(t.db.db, { userId: owner.userId, workspaceId }, "draft");
    const live = await createSession(t.db.db, { userId: owner.userId, workspaceId }, "live");
    const res = await post(owner, "/api/auth/organization/delete", { organizationId: workspaceId });
    expect(res.statusCode).toBe(409);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.json()).toMatchObject({ status: 409, code: "SESSION_LIVE" });
    expect([await count("sessions", draft), await count("sessions", live)]).toEqual([1, 1]);
    expect(await count("workspaces", workspaceId)).toBe(1);
  });

  it("removes a user's sessions before the user, and their attendees are told and disconnected", async () => {
    const admin = await signIn(t.app, t.db.db, "Platform Admin");
    await makePlatformAdmin(t.db.db, admin.userId);
    const presenter = await signIn(t.app, t.db.db, "Removed Presenter");
    const sessionId = await scheduledSession(presenter, presenter.personalWorkspaceId);
    const attendee = await createAttendee(t.app, t.db.db, sessionId, "Watching");
    const { socket, received } = await connectSocket(url, { sessionId, token: attendee.token });
    try {
      const res = await post(admin, "/api/auth/admin/remove-user", { userId: presenter.userId });
      expect(res.statusCode, res.body).toBe(200);
      await until("the attendee's socket is closed", () => socket.disconnected);
      expect(received.of("session:ended")).toEqual([{ sessionId, reason: "deleted", session: null }]);
    } finally {
      socket.close();
    }
    expect(await count("sessions", sessionId)).toBe(0);
  });

  it("refuses to remove a user with a live session before anything is removed: the user stays signed in", async () => {
    const admin = await signIn(t.app, t.db.db, "Careful Admin");
    await makePlatformAdmin(t.db.db, admin.userId);
    const presenter = await signIn(t.app, t.db.db, "Presenting Now");
    const live = await createSession(
      t.db.db,
      { userId: presenter.userId, workspaceId: presenter.personalWorkspaceId },
      "live",
    );
    const res = await post(admin, "/api/auth/admin/remove-user", { userId: presenter.userId });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json()).toMatchObject({ status: 409, code: "SESSION_LIVE" });
    // better-auth revokes every session of the user before it deletes the user: it never got that far.
    const me = await t.app.inject({
      method: "GET",
      url: "/api/me",
      headers: { authorization: `Bearer ${presenter.token}` },
    });
    expect(me.statusCode, me.body).toBe(200);
    expect(await count("sessions", live)).toBe(1);
  });

  it("tells only an admin that a user is live: anyone else is refused as before", async () => {
    const other = await signIn(t.app, t.db.db, "Not An Admin");
    const presenter = await signIn(t.app, t.db.db, "Live Elsewhere");
    await createSession(
      t.db.db,
      { userId: presenter.userId, workspaceId: presenter.personalWorkspaceId },
      "live",
    );
    const res = await post(other, "/api/auth/admin/remove-user", { userId: presenter.userId });
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json()).not.toMatchObject({ code: "SESSION_LIVE" });
  });
});
