import { randomBytes, randomUUID } from "node:crypto";
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import {
  addToWorkspace,
  createAttendee,
  createSession,
  signIn,
  type SignedInUser,
} from "../../../test/helpers/actors.js";
import { attendees } from "../attendees/attendees.table.js";
import { sessionMembers, sessions } from "./sessions.table.js";
import { TENANT, type ActorName, type Cell, type Snapshot } from "./isolation-matrix.model.js";
import { matrixRoutes } from "./isolation-matrix.cases.js";

/**
 * Tenant isolation (issue 4, point 11): what is checked and why is in isolation-matrix.model.ts, the route
 * cases in isolation-matrix.cases.ts; this file builds the two tenants and runs every cell.
 */
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

  const routes = matrixRoutes({
    users,
    get workspaceA() {
      return workspaceA;
    },
    get otherSessionId() {
      return otherSessionId;
    },
    listAll,
    workspacesOf,
  });

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
