import { expect } from "vitest";
import {
  TENANT,
  read,
  runners,
  staff,
  presenters,
  everyone,
  sessionRowOf,
  attendeeIn,
  expectSanction,
  type MatrixWorld,
  type RouteCase,
} from "./isolation-matrix.model.js";

/** Every route of the sessions and attendees API with the status each actor must get. */
export function matrixRoutes(world: MatrixWorld): RouteCase[] {
  return [
    {
      name: "POST /api/sessions",
      sessionStatus: "live",
      request: () => ({ method: "POST", url: "/api/sessions", payload: { title: "New talk" } }),
      expected: presenters(201),
      allowed: ({ actor, res }) => {
        const body = res.json() as { ownerId: string; workspaceId: string; status: string };
        const user = world.users[actor as keyof typeof world.users];
        expect(body).toMatchObject({
          ownerId: user.userId,
          workspaceId: user.personalWorkspaceId,
          status: "draft",
        });
      },
    },
    {
      name: "POST /api/sessions into A's workspace",
      sessionStatus: "live",
      request: () => ({
        method: "POST",
        url: "/api/sessions",
        payload: { title: "New talk in A", workspaceId: world.workspaceA },
      }),
      expected: { ...presenters(201), otherPresenter: [404, "WORKSPACE_NOT_FOUND"] },
      allowed: ({ actor, res }) => {
        expect(res.json()).toMatchObject({
          ownerId: world.users[actor as keyof typeof world.users].userId,
          workspaceId: world.workspaceA,
        });
      },
    },
    {
      name: "GET /api/sessions",
      sessionStatus: "live",
      request: () => ({ method: "GET", url: "/api/sessions" }),
      expected: presenters(200),
      allowed: async ({ cell, actor }) => {
        const items = await world.listAll(actor, cell);
        const ids = items.map((item) => item.id);
        if (TENANT[actor] === "A") {
          expect(ids).toContain(cell.sessionId);
          expect(ids).not.toContain(world.otherSessionId);
        } else {
          expect(ids).toContain(world.otherSessionId);
          expect(ids).not.toContain(cell.sessionId);
        }
        const mine = world.workspacesOf(actor);
        for (const item of items) expect(mine).toContain(item.workspaceId);
      },
    },
    {
      name: "GET /api/sessions?workspaceId=A",
      sessionStatus: "live",
      request: () => ({ method: "GET", url: `/api/sessions?workspaceId=${world.workspaceA}` }),
      expected: presenters(200),
      allowed: async ({ cell, actor, res }) => {
        if (TENANT[actor] === "B") {
          expect(res.json()).toEqual({ items: [], nextCursor: null });
          return;
        }
        const items = await world.listAll(actor, cell, `workspaceId=${world.workspaceA}`);
        expect(items.map((item) => item.id)).toContain(cell.sessionId);
        for (const item of items) expect(item.workspaceId).toBe(world.workspaceA);
      },
    },
    {
      name: "GET /api/sessions/:id",
      sessionStatus: "live",
      request: (cell) => ({ method: "GET", url: `/api/sessions/${cell.sessionId}` }),
      expected: read,
      allowed: ({ cell, res }) => {
        expect(res.json()).toMatchObject({ id: cell.sessionId, workspaceId: world.workspaceA });
      },
    },
    {
      name: "PATCH /api/sessions/:id",
      sessionStatus: "live",
      request: (cell) => ({
        method: "PATCH",
        url: `/api/sessions/${cell.sessionId}`,
        payload: { title: "Renamed" },
      }),
      expected: runners(200),
      allowed: ({ before, after }) => {
        expect(sessionRowOf(after)).toMatchObject({
          title: "Renamed",
          version: sessionRowOf(before)!.version + 1,
        });
      },
    },
    {
      // A live session cannot be deleted: the cell's session is scheduled, with attendees in its waiting room.
      name: "DELETE /api/sessions/:id",
      sessionStatus: "scheduled",
      request: (cell) => ({ method: "DELETE", url: `/api/sessions/${cell.sessionId}` }),
      expected: { ...runners(204), coHost: 403 },
      allowed: ({ after }) => {
        expect(after.a.session).toBeUndefined();
        expect(after.a.attendees).toEqual([]);
      },
    },
    {
      name: "POST /api/sessions/:id/start",
      sessionStatus: "scheduled",
      request: (cell) => ({ method: "POST", url: `/api/sessions/${cell.sessionId}/start` }),
      expected: runners(200),
      allowed: ({ after }) => {
        expect(sessionRowOf(after)?.status).toBe("live");
      },
    },
    {
      name: "POST /api/sessions/:id/end",
      sessionStatus: "live",
      request: (cell) => ({ method: "POST", url: `/api/sessions/${cell.sessionId}/end` }),
      expected: runners(200),
      allowed: ({ after }) => {
        expect(sessionRowOf(after)?.status).toBe("ended");
      },
    },
    {
      // Open to anyone holding the session's id or code, by design (no account needed). A token of another
      // session does not carry over: its holder joins as someone new.
      name: "POST /api/attendee/join/:sessionId",
      sessionStatus: "live",
      public: true,
      request: (cell) => ({
        method: "POST",
        url: `/api/attendee/join/${cell.sessionId}`,
        payload: { name: "Joiner" },
      }),
      expected: { ...everyone(201), attendee: 200 },
      allowed: ({ cell, actor, res, before, after }) => {
        const body = res.json() as { attendee: { id: string }; session: { id: string }; rejoined: boolean };
        expect(body.session.id).toBe(cell.sessionId);
        expect(attendeeIn(after, body.attendee.id)).toMatchObject({ sessionId: cell.sessionId });
        if (actor === "attendee") {
          expect(body).toMatchObject({ rejoined: true, attendee: { id: cell.attendee.attendeeId } });
        } else {
          expect(body.rejoined).toBe(false);
          expect([
            cell.attendee.attendeeId,
            cell.target.attendeeId,
            cell.otherAttendee.attendeeId,
          ]).not.toContain(body.attendee.id);
        }
        // Tenant B's attendee (and its session) are untouched, whoever joined A's session.
        expect(after.b).toEqual(before.b);
      },
    },
    {
      // Not a policy action: the service refuses every caller but the attendee of this very session with the
      // same 403, without looking the session up (the same answer for a session that does not exist: see below).
      name: "POST /api/attendee/leave/:sessionId",
      sessionStatus: "live",
      request: (cell) => ({ method: "POST", url: `/api/attendee/leave/${cell.sessionId}` }),
      expected: {
        owner: 403,
        coHost: 403,
        moderator: 403,
        workspacePresenter: 403,
        otherPresenter: 403,
        attendee: 204,
        otherAttendee: 403,
        anonymous: 401,
      },
      allowed: ({ cell, after }) => {
        expect(attendeeIn(after, cell.attendee.attendeeId)?.status).toBe("left");
        expect(attendeeIn(after, cell.target.attendeeId)?.status).toBe("connected");
      },
    },
    {
      // No object in the path: an attendee reports its own state, so tenant B's attendee changes only itself.
      name: "POST /api/attendee/update-status",
      sessionStatus: "live",
      request: () => ({
        method: "POST",
        url: "/api/attendee/update-status",
        payload: { status: "reconnecting", quality: { rttMs: 80 } },
      }),
      expected: {
        owner: 403,
        coHost: 403,
        moderator: 403,
        workspacePresenter: 403,
        otherPresenter: 403,
        attendee: 204,
        otherAttendee: 204,
        anonymous: 401,
      },
      allowed: ({ cell, actor, before, after }) => {
        if (actor === "attendee") {
          expect(attendeeIn(after, cell.attendee.attendeeId)?.status).toBe("reconnecting");
          expect(attendeeIn(after, cell.target.attendeeId)).toEqual(
            attendeeIn(before, cell.target.attendeeId),
          );
          expect(after.b).toEqual(before.b);
        } else {
          expect(after.b.attendee?.status).toBe("reconnecting");
        }
      },
    },
    {
      name: "GET /api/sessions/:id/attendees",
      sessionStatus: "live",
      request: (cell) => ({ method: "GET", url: `/api/sessions/${cell.sessionId}/attendees` }),
      expected: staff(200),
      allowed: ({ cell, res }) => {
        const ids = (res.json() as { items: Array<{ id: string }> }).items.map((item) => item.id).sort();
        expect(ids).toEqual([cell.attendee.attendeeId, cell.target.attendeeId].sort());
      },
    },
    {
      name: "POST /api/sessions/:id/attendees/:attendeeId/ban",
      sessionStatus: "live",
      request: (cell) => ({
        method: "POST",
        url: `/api/sessions/${cell.sessionId}/attendees/${cell.target.attendeeId}/ban`,
      }),
      expected: staff(204),
      allowed: expectSanction("bannedAt"),
    },
    {
      name: "DELETE /api/sessions/:id/attendees/:attendeeId",
      sessionStatus: "live",
      request: (cell) => ({
        method: "DELETE",
        url: `/api/sessions/${cell.sessionId}/attendees/${cell.target.attendeeId}`,
      }),
      expected: staff(204),
      allowed: expectSanction("removedAt"),
    },
    {
      // Crossing tenants through the path: B's session, A's attendee. B's host may moderate its own session,
      // but A's attendee is not in it.
      name: "POST /api/sessions/:B/attendees/:attendeeOfA/ban",
      sessionStatus: "live",
      request: (cell) => ({
        method: "POST",
        url: `/api/sessions/${world.otherSessionId}/attendees/${cell.target.attendeeId}/ban`,
      }),
      expected: {
        owner: [404, "SESSION_NOT_FOUND"],
        coHost: [404, "SESSION_NOT_FOUND"],
        moderator: [404, "SESSION_NOT_FOUND"],
        workspacePresenter: [404, "SESSION_NOT_FOUND"],
        otherPresenter: [404, "ATTENDEE_NOT_FOUND"],
        attendee: [404, "SESSION_NOT_FOUND"],
        otherAttendee: 403,
        anonymous: 401,
      },
    },
    {
      name: "DELETE /api/sessions/:B/attendees/:attendeeOfA",
      sessionStatus: "live",
      request: (cell) => ({
        method: "DELETE",
        url: `/api/sessions/${world.otherSessionId}/attendees/${cell.target.attendeeId}`,
      }),
      expected: {
        owner: [404, "SESSION_NOT_FOUND"],
        coHost: [404, "SESSION_NOT_FOUND"],
        moderator: [404, "SESSION_NOT_FOUND"],
        workspacePresenter: [404, "SESSION_NOT_FOUND"],
        otherPresenter: [404, "ATTENDEE_NOT_FOUND"],
        attendee: [404, "SESSION_NOT_FOUND"],
        otherAttendee: 403,
        anonymous: 401,
      },
    },
    {
      // The other way round: A's session, B's attendee. A's staff may moderate A, but B's attendee is not in it.
      name: "POST /api/sessions/:A/attendees/:attendeeOfB/ban",
      sessionStatus: "live",
      request: (cell) => ({
        method: "POST",
        url: `/api/sessions/${cell.sessionId}/attendees/${cell.otherAttendee.attendeeId}/ban`,
      }),
      expected: {
        ...staff(204),
        owner: [404, "ATTENDEE_NOT_FOUND"],
        coHost: [404, "ATTENDEE_NOT_FOUND"],
        moderator: [404, "ATTENDEE_NOT_FOUND"],
      },
    },
    {
      name: "DELETE /api/sessions/:A/attendees/:attendeeOfB",
      sessionStatus: "live",
      request: (cell) => ({
        method: "DELETE",
        url: `/api/sessions/${cell.sessionId}/attendees/${cell.otherAttendee.attendeeId}`,
      }),
      expected: {
        ...staff(204),
        owner: [404, "ATTENDEE_NOT_FOUND"],
        coHost: [404, "ATTENDEE_NOT_FOUND"],
        moderator: [404, "ATTENDEE_NOT_FOUND"],
      },
    },
    {
      // Public by design (what a join link shows), and only that: no owner, workspace, settings or code.
      name: "GET /api/join/:code",
      sessionStatus: "live",
      public: true,
      request: (cell) => ({ method: "GET", url: `/api/join/${cell.joinCode.toLowerCase()}` }),
      expected: everyone(200),
      allowed: ({ cell, res }) => {
        const body = res.json() as Record<string, unknown>;
        expect(Object.keys(body).sort()).toEqual(
          ["presenterName", "qaOpen", "scheduledAt", "sessionId", "status", "title"].sort(),
        );
        expect(body).toMatchObject({ sessionId: cell.sessionId, status: "live", presenterName: "owner" });
      },
    },
  ];
}
