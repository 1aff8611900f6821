import { randomBytes, randomUUID } from "node:crypto";
import { asc, eq } from "drizzle-orm";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import {
  addToWorkspace,
  createAttendee,
  createSession,
  signIn,
  type SignedInUser,
  type TestAttendee,
} from "../../../test/helpers/actors.js";
import { attendees } from "../attendees/attendees.table.js";
import { sessionMembers, sessions } from "./sessions.table.js";

/**
 * Tenant isolation (issue 4, point 11): every route of the sessions and attendees API × every kind of caller,
 * with the status each must get. Tenant A is the owner's workspace (owner, a co-host and a moderator of the
 * session, another presenter of the workspace, an attendee of the session); tenant B is another presenter's
 * workspace with a session and an attendee of its own. Statuses follow the policy (src/modules/auth/policy.ts,
 * docs/API.md): 401 without a credential, 404 for whoever may not see the object, 403 for whoever sees it but
 * may not act.
 *
 * Each cell runs against a fresh session of tenant A (with its grants and attendees) and a fresh attendee of
 * tenant B, so destructive cells do not affect each other. Beyond the status, every cell checks that:
 * a refusal changed nothing and logged nothing; a caller outside a tenant neither changed that tenant's
 * objects nor got any of their ids back (except on the two routes that are public by design: joining, and the
 * public face behind a join code); an allowed call did what it says, to the object it names and no other.
 */
type ActorName =
  | "owner"
  | "coHost"
  | "moderator"
  | "workspacePresenter"
  | "otherPresenter"
  | "attendee"
  | "otherAttendee"
  | "anonymous";

const TENANT: Record<ActorName, "A" | "B" | null> = {
  owner: "A",
  coHost: "A",
  moderator: "A",
  workspacePresenter: "A",
  attendee: "A",
  otherPresenter: "B",
  otherAttendee: "B",
  anonymous: null,
};

/** A status, or a status with the exact problem code it must carry. */
type Expected = number | readonly [number, string];

/** What one cell acts on. */
interface Cell {
  /** Tenant A's session, fresh for this cell, with the co-host and moderator grants. */
  sessionId: string;
  joinCode: string;
  /** The "attendee" actor: an attendee of this session. */
  attendee: TestAttendee;
  /** A second attendee of this session: what ban and remove act on. */
  target: TestAttendee;
  /** The "otherAttendee" actor: an attendee of tenant B's session. */
  otherAttendee: TestAttendee;
}

type SessionRow = typeof sessions.$inferSelect;
type AttendeeRow = typeof attendees.$inferSelect;

interface Snapshot {
  a: { session: SessionRow | undefined; attendees: AttendeeRow[] };
  b: { session: SessionRow | undefined; attendee: AttendeeRow | undefined };
  counts: { sessions: number; attendees: number; events: number };
}

interface RouteCase {
  name: string;
  /** The state of the cell's session: start wants one not live yet, the rest a live one. */
  sessionStatus: "scheduled" | "live";
  /** Reachable by anyone by design (joining; the public face of a join code). */
  public?: boolean;
  request: (cell: Cell) => { method: "GET" | "POST" | "PATCH" | "DELETE"; url: string; payload?: object };
  expected: Record<ActorName, Expected>;
  /** What an allowed call must have done (refusals are checked for every route alike). */
  allowed?: (args: {
    cell: Cell;
    actor: ActorName;
    res: LightMyRequestResponse;
    before: Snapshot;
    after: Snapshot;
  }) => Promise<void> | void;
}

describe("tenant isolation matrix: sessions and attendees API", () => {
  let t: TestApp;
  const users = {} as Record<
    "owner" | "coHost" | "moderator" | "workspacePresenter" | "otherPresenter",
    SignedInUser
  >;
  let workspaceA: string;
  let workspaceB: string;
  let otherSessionId: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_IP_MAX: "100000", RATE_LIMIT_ACTOR_MAX: "100000" } });
    const db = t.db.db;
    for (const name of ["owner", "coHost", "moderator", "workspacePresenter", "otherPresenter"] as const) {
      users[name] = await signIn(t.app, db, name);
    }
    workspaceA = users.owner.personalWorkspaceId;
    workspaceB = users.otherPresenter.personalWorkspaceId;
    for (const name of ["coHost", "moderator", "workspacePresenter"] as const) {
      await addToWorkspace(db, workspaceA, users[name].userId, "member");
    }
    otherSessionId = await createSession(db, {
      userId: users.otherPresenter.userId,
      workspaceId: workspaceB,
    });
  });
  afterAll(async () => t?.close());

  /** A session of tenant A as the cell needs it, with its grants and attendees, and an attendee of tenant B. */
  async function freshCell(status: "scheduled" | "live"): Promise<Cell> {
    const db = t.db.db;
    const joinCode = randomBytes(4).toString("hex").toUpperCase();
    const [row] = await db
      .insert(sessions)
      .values({
        workspaceId: workspaceA,
        ownerId: users.owner.userId,
        title: "Tenant A talk",
        joinCode,
        status,
        scheduledAt: status === "scheduled" ? new Date(Date.now() + 86_400_000) : null,
        startedAt: status === "live" ? new Date() : null,
      })
      .returning({ id: sessions.id });
    const sessionId = row!.id;
    await db.insert(sessionMembers).values([
      { sessionId, userId: users.coHost.userId, role: "co_host", grantedBy: users.owner.userId },
      { sessionId, userId: users.moderator.userId, role: "moderator", grantedBy: users.owner.userId },
    ]);
    return {
      sessionId,
      joinCode,
      attendee: await createAttendee(t.app, db, sessionId, "Attendee of A"),
      target: await createAttendee(t.app, db, sessionId, "Target in A"),
      otherAttendee: await createAttendee(t.app, db, otherSessionId, "Attendee of B"),
    };
  }

  async function snapshot(cell: Cell): Promise<Snapshot> {
    const db = t.db.db;
    const [aSession] = await db.select().from(sessions).where(eq(sessions.id, cell.sessionId));
    const aAttendees = await db
      .select()
      .from(attendees)
      .where(eq(attendees.sessionId, cell.sessionId))
      .orderBy(asc(attendees.id));
    const [bSession] = await db.select().from(sessions).where(eq(sessions.id, otherSessionId));
    const [bAttendee] = await db
      .select()
      .from(attendees)
      .where(eq(attendees.id, cell.otherAttendee.attendeeId));
    const { rows } = await t.db.pool.query<{ sessions: number; attendees: number; events: number }>(
      `select (select count(*)::int from sessions) as sessions, (select count(*)::int from attendees) as attendees,
              (select count(*)::int from session_events) as events`,
    );
    return {
      a: { session: aSession, attendees: aAttendees },
      b: { session: bSession, attendee: bAttendee },
      counts: rows[0]!,
    };
  }

  function credentials(actor: ActorName, cell: Cell): Record<string, string> {
    switch (actor) {
      case "anonymous":
        return {};
      case "attendee":
        return { authorization: `Bearer ${cell.attendee.token}` };
      case "otherAttendee":
        return { authorization: `Bearer ${cell.otherAttendee.token}` };
      default:
        return { authorization: `Bearer ${users[actor].token}` };
    }
  }

  /** Every session id in the caller's list, page after page. */
  async function listAll(actor: ActorName, cell: Cell, query = "") {
    const items: Array<{ id: string; workspaceId: string; ownerId: string }> = [];
    let cursor: string | null = null;
    do {
      const qs = new URLSearchParams(query);
      qs.set("limit", "100");
      if (cursor) qs.set("cursor", cursor);
      const res = await t.app.inject({
        method: "GET",
        url: `/api/sessions?${qs.toString()}`,
        headers: credentials(actor, cell),
      });
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { items: typeof items; nextCursor: string | null };
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  /** The workspaces a signed-in actor belongs to: its personal one, and A's for A's presenters. */
  const workspacesOf = (actor: ActorName) =>
    actor === "otherPresenter"
      ? [workspaceB]
      : [
          workspaceA,
          users[actor as Exclude<ActorName, "attendee" | "otherAttendee" | "anonymous">].personalWorkspaceId,
        ];

  const sessionRowOf = (snap: Snapshot) => snap.a.session;
  const attendeeIn = (snap: Snapshot, id: string) => snap.a.attendees.find((a) => a.id === id);

  // Row templates by the policy's actions (docs/API.md "Access control").
  const read = {
    owner: 200,
    coHost: 200,
    moderator: 200,
    workspacePresenter: 200,
    otherPresenter: 404,
    attendee: 200,
    otherAttendee: 404,
    anonymous: 401,
  } satisfies Record<ActorName, Expected>;
  const runners = (ok: number) =>
    ({
      owner: ok,
      coHost: ok,
      moderator: 403,
      workspacePresenter: 403,
      otherPresenter: 404,
      attendee: 403,
      otherAttendee: 404,
      anonymous: 401,
    }) satisfies Record<ActorName, Expected>;
  const staff = (ok: number) =>
    ({
      owner: ok,
      coHost: ok,
      moderator: ok,
      workspacePresenter: 403,
      otherPresenter: 404,
      attendee: 403,
      otherAttendee: 404,
      anonymous: 401,
    }) satisfies Record<ActorName, Expected>;
  const presenters = (ok: number) =>
    ({
      owner: ok,
      coHost: ok,
      moderator: ok,
      workspacePresenter: ok,
      otherPresenter: ok,
      attendee: 403,
      otherAttendee: 403,
      anonymous: 401,
    }) satisfies Record<ActorName, Expected>;
  const everyone = (ok: number) =>
    ({
      owner: ok,
      coHost: ok,
      moderator: ok,
      workspacePresenter: ok,
      otherPresenter: ok,
      attendee: ok,
      otherAttendee: ok,
      anonymous: ok,
    }) satisfies Record<ActorName, Expected>;

  const expectSanction = (kind: "bannedAt" | "removedAt") =>
    (({ cell, after }) => {
      const target = attendeeIn(after, cell.target.attendeeId);
      expect(target?.[kind]).toBeInstanceOf(Date);
      expect(target?.status).toBe("left");
      // The attendee acting as caller elsewhere in the matrix is untouched.
      expect(attendeeIn(after, cell.attendee.attendeeId)).toMatchObject({ bannedAt: null, removedAt: null });
    }) satisfies RouteCase["allowed"];

  const routes: RouteCase[] = [
    {
      name: "POST /api/sessions",
      sessionStatus: "live",
      request: () => ({ method: "POST", url: "/api/sessions", payload: { title: "New talk" } }),
      expected: presenters(201),
      allowed: ({ actor, res }) => {
        const body = res.json() as { ownerId: string; workspaceId: string; status: string };
        const user = users[actor as keyof typeof users];
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
        payload: { title: "New talk in A", workspaceId: workspaceA },
      }),
      expected: { ...presenters(201), otherPresenter: [404, "WORKSPACE_NOT_FOUND"] },
      allowed: ({ actor, res }) => {
        expect(res.json()).toMatchObject({
          ownerId: users[actor as keyof typeof users].userId,
          workspaceId: workspaceA,
        });
      },
    },
    {
      name: "GET /api/sessions",
      sessionStatus: "live",
      request: () => ({ method: "GET", url: "/api/sessions" }),
      expected: presenters(200),
      allowed: async ({ cell, actor }) => {
        const items = await listAll(actor, cell);
        const ids = items.map((item) => item.id);
        if (TENANT[actor] === "A") {
          expect(ids).toContain(cell.sessionId);
          expect(ids).not.toContain(otherSessionId);
        } else {
          expect(ids).toContain(otherSessionId);
          expect(ids).not.toContain(cell.sessionId);
        }
        const mine = workspacesOf(actor);
        for (const item of items) expect(mine).toContain(item.workspaceId);
      },
    },
    {
      name: "GET /api/sessions?workspaceId=A",
      sessionStatus: "live",
      request: () => ({ method: "GET", url: `/api/sessions?workspaceId=${workspaceA}` }),
      expected: presenters(200),
      allowed: async ({ cell, actor, res }) => {
        if (TENANT[actor] === "B") {
          expect(res.json()).toEqual({ items: [], nextCursor: null });
          return;
        }
        const items = await listAll(actor, cell, `workspaceId=${workspaceA}`);
        expect(items.map((item) => item.id)).toContain(cell.sessionId);
        for (const item of items) expect(item.workspaceId).toBe(workspaceA);
      },
    },
    {
      name: "GET /api/sessions/:id",
      sessionStatus: "live",
      request: (cell) => ({ method: "GET", url: `/api/sessions/${cell.sessionId}` }),
      expected: read,
      allowed: ({ cell, res }) => {
        expect(res.json()).toMatchObject({ id: cell.sessionId, workspaceId: workspaceA });
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
        url: `/api/sessions/${otherSessionId}/attendees/${cell.target.attendeeId}/ban`,
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
        url: `/api/sessions/${otherSessionId}/attendees/${cell.target.attendeeId}`,
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

  const problemCodes: Record<number, string[]> = {
    401: ["AUTHENTICATION_REQUIRED"],
    403: ["FORBIDDEN"],
    404: ["SESSION_NOT_FOUND", "WORKSPACE_NOT_FOUND", "ATTENDEE_NOT_FOUND"],
  };

  const cells = routes.flatMap((route) =>
    (Object.keys(route.expected) as ActorName[]).map((actor) => {
      const expected = route.expected[actor];
      const [status, code] = typeof expected === "number" ? [expected, undefined] : expected;
      return { route, actor, status, code, label: `${route.name} as ${actor} → ${status}` };
    }),
  );

  it.each(cells)("$label", async ({ route, actor, status, code }) => {
    const cell = await freshCell(route.sessionStatus);
    const before = await snapshot(cell);
    const { method, url, payload } = route.request(cell);
    const res = await t.app.inject({ method, url, payload, headers: credentials(actor, cell) });
    expect(res.statusCode, res.body).toBe(status);
    const after = await snapshot(cell);

    // The ids of a tenant the caller is not part of never come back (the problem's `instance` echoes the path).
    const { instance: _path, ...body } = (res.body ? res.json() : {}) as Record<string, unknown>;
    const text = JSON.stringify(body);
    if (TENANT[actor] !== "A" && !route.public) {
      for (const id of [cell.sessionId, cell.attendee.attendeeId, cell.target.attendeeId]) {
        expect(text).not.toContain(id);
      }
    }
    if (TENANT[actor] !== "B") {
      for (const id of [otherSessionId, cell.otherAttendee.attendeeId]) expect(text).not.toContain(id);
    }

    if (status >= 400) {
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(problemCodes[status]).toContain(body.code);
      if (code) expect(body.code).toBe(code);
      // A refusal changes nothing anywhere and logs nothing.
      expect(after).toEqual(before);
      if (route.name.includes("/attendees/")) {
        // And the attendee it named still gets in.
        const me = await t.app.inject({
          method: "GET",
          url: "/api/me",
          headers: { authorization: `Bearer ${cell.target.token}` },
        });
        expect(me.statusCode).toBe(200);
      }
      return;
    }

    // Allowed: the other tenant's objects are as they were.
    if (TENANT[actor] !== "B") expect(after.b).toEqual(before.b);
    if (TENANT[actor] !== "A" && !route.public) expect(after.a).toEqual(before.a);
    await route.allowed?.({ cell, actor, res, before, after });
  });

  it("answers another tenant's session exactly as a session that does not exist", async () => {
    const cell = await freshCell("live");
    const problem = async (url: string, method: "GET" | "PATCH" | "POST" = "GET") => {
      const res = await t.app.inject({
        method,
        url,
        headers: credentials("otherPresenter", cell),
        payload: method === "PATCH" ? { title: "x" } : undefined,
      });
      const { instance: _path, requestId: _id, ...rest } = res.json() as Record<string, unknown>;
      return { status: res.statusCode, ...rest };
    };
    const missing = randomUUID();
    for (const [suffix, method] of [
      ["", "GET"],
      ["", "PATCH"],
      ["/end", "POST"],
      ["/attendees", "GET"],
    ] as const) {
      expect(await problem(`/api/sessions/${cell.sessionId}${suffix}`, method)).toEqual(
        await problem(`/api/sessions/${missing}${suffix}`, method),
      );
    }
  });

  it("refuses leaving with a foreign credential the same way whether the session exists or not", async () => {
    const cell = await freshCell("live");
    for (const actor of ["otherAttendee", "otherPresenter", "owner"] as const) {
      const answers = [];
      for (const sessionId of [cell.sessionId, randomUUID()]) {
        const res = await t.app.inject({
          method: "POST",
          url: `/api/attendee/leave/${sessionId}`,
          headers: credentials(actor, cell),
        });
        const { instance: _path, requestId: _id, ...rest } = res.json() as Record<string, unknown>;
        answers.push({ status: res.statusCode, ...rest });
      }
      expect(answers[0]).toEqual(answers[1]);
    }
  });
});
