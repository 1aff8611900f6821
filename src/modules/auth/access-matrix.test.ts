import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import {
  addToWorkspace,
  createApiKey,
  createAttendee,
  createSession,
  makePlatformAdmin,
  signIn,
  type SignedInUser,
  type TestAttendee,
} from "../../../test/helpers/actors.js";
import { sessionMembers } from "../sessions/sessions.table.js";

/**
 * Every protected route of the auth issue × every kind of caller, with the status each must get. Refusals follow
 * the policy's rule: 401 without a credential, 404 for whoever may not see the object, 403 for whoever sees it
 * but may not act. Allowed callers are exercised too, so a route that refuses everyone fails here.
 */
type ActorName =
  | "host"
  | "coHost"
  | "moderator"
  | "workspaceMember"
  | "workspaceAdmin"
  | "otherPresenter"
  | "platformAdmin"
  | "keyAllScopes"
  | "keyReadOnly"
  | "attendee"
  | "otherAttendee"
  | "anonymous";

describe("access matrix", () => {
  let t: TestApp;
  let sessionId: string;
  const users = {} as Record<
    | "host"
    | "coHost"
    | "moderator"
    | "workspaceMember"
    | "workspaceAdmin"
    | "otherPresenter"
    | "platformAdmin",
    SignedInUser
  >;
  const keys = {} as Record<"keyAllScopes" | "keyReadOnly", string>;
  let attendee: TestAttendee;
  let otherAttendee: TestAttendee;
  // The user the grant/revoke routes act on: a plain member of the host's workspace.
  let grantee: SignedInUser;

  beforeAll(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_IP_MAX: "100000", RATE_LIMIT_ACTOR_MAX: "100000" } });
    const db = t.db.db;
    for (const name of Object.keys({
      host: 1,
      coHost: 1,
      moderator: 1,
      workspaceMember: 1,
      workspaceAdmin: 1,
      otherPresenter: 1,
      platformAdmin: 1,
    }) as Array<keyof typeof users>) {
      users[name] = await signIn(t.app, db, name);
    }
    grantee = await signIn(t.app, db, "grantee");
    const workspaceId = users.host.personalWorkspaceId;
    await addToWorkspace(db, workspaceId, users.coHost.userId, "member");
    await addToWorkspace(db, workspaceId, users.moderator.userId, "member");
    await addToWorkspace(db, workspaceId, users.workspaceMember.userId, "member");
    await addToWorkspace(db, workspaceId, users.workspaceAdmin.userId, "admin");
    await addToWorkspace(db, workspaceId, grantee.userId, "member");
    await makePlatformAdmin(db, users.platformAdmin.userId);

    sessionId = await createSession(db, { userId: users.host.userId, workspaceId });
    const otherSessionId = await createSession(db, {
      userId: users.otherPresenter.userId,
      workspaceId: users.otherPresenter.personalWorkspaceId,
    });
    for (const [who, role] of [
      ["coHost", "co_host"],
      ["moderator", "moderator"],
    ] as const) {
      const res = await t.app.inject({
        method: "PUT",
        url: `/api/sessions/${sessionId}/members/${users[who].userId}`,
        headers: { authorization: `Bearer ${users.host.token}` },
        payload: { role },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    keys.keyAllScopes = (
      await createApiKey(t.app, users.host, [
        "sessions:read",
        "sessions:write",
        "attendees:read",
        "attendees:moderate",
        "questions:read",
        "questions:moderate",
        "analytics:read",
      ])
    ).key;
    keys.keyReadOnly = (await createApiKey(t.app, users.host, ["sessions:read"])).key;
    attendee = await createAttendee(t.app, db, sessionId);
    otherAttendee = await createAttendee(t.app, db, otherSessionId);
  });
  afterAll(async () => t?.close());

  function credentials(actor: ActorName): Record<string, string> {
    switch (actor) {
      case "anonymous":
        return {};
      case "keyAllScopes":
      case "keyReadOnly":
        return { "x-api-key": keys[actor] };
      case "attendee":
        return { authorization: `Bearer ${attendee.token}` };
      case "otherAttendee":
        return { authorization: `Bearer ${otherAttendee.token}` };
      default:
        return { authorization: `Bearer ${users[actor].token}` };
    }
  }

  interface RouteCase {
    name: string;
    /** Builds the request; may prepare state (a fresh attendee to ban, a role to take back). */
    request: () => Promise<{ method: "GET" | "POST" | "PUT" | "DELETE"; url: string; payload?: object }>;
    expected: Record<ActorName, number>;
  }

  const staffRead = {
    host: 200,
    coHost: 200,
    moderator: 200,
    workspaceMember: 403,
    workspaceAdmin: 200,
    otherPresenter: 404,
    platformAdmin: 200,
    keyAllScopes: 200,
    keyReadOnly: 200,
    attendee: 403,
    otherAttendee: 404,
    anonymous: 401,
  } satisfies Record<ActorName, number>;
  const hostOnly = {
    host: 200,
    coHost: 403,
    moderator: 403,
    workspaceMember: 403,
    workspaceAdmin: 403,
    otherPresenter: 404,
    platformAdmin: 403,
    keyAllScopes: 403,
    keyReadOnly: 403,
    attendee: 403,
    otherAttendee: 404,
    anonymous: 401,
  } satisfies Record<ActorName, number>;
  const moderate = {
    host: 204,
    coHost: 204,
    moderator: 204,
    workspaceMember: 403,
    workspaceAdmin: 204,
    otherPresenter: 404,
    platformAdmin: 204,
    keyAllScopes: 204,
    keyReadOnly: 403,
    attendee: 403,
    otherAttendee: 404,
    anonymous: 401,
  } satisfies Record<ActorName, number>;
  const signedInUsersOnly = (ok: number) =>
    ({
      host: ok,
      coHost: ok,
      moderator: ok,
      workspaceMember: ok,
      workspaceAdmin: ok,
      otherPresenter: ok,
      platformAdmin: ok,
      keyAllScopes: 403,
      keyReadOnly: 403,
      attendee: 403,
      otherAttendee: 403,
      anonymous: 401,
    }) satisfies Record<ActorName, number>;

  const routes: RouteCase[] = [
    {
      name: "GET /api/me",
      request: async () => ({ method: "GET", url: "/api/me" }),
      expected: {
        ...signedInUsersOnly(200),
        keyAllScopes: 200,
        keyReadOnly: 200,
        attendee: 200,
        otherAttendee: 200,
      },
    },
    {
      name: "GET /api/api-keys",
      request: async () => ({ method: "GET", url: "/api/api-keys" }),
      expected: signedInUsersOnly(200),
    },
    {
      name: "POST /api/api-keys",
      request: async () => ({
        method: "POST",
        url: "/api/api-keys",
        payload: { name: "matrix", scopes: ["sessions:read"] },
      }),
      expected: signedInUsersOnly(201),
    },
    {
      name: "DELETE /api/api-keys/:id (someone else's key)",
      request: async () => {
        const { id } = await createApiKey(t.app, grantee, ["sessions:read"]);
        return { method: "DELETE", url: `/api/api-keys/${id}` };
      },
      expected: signedInUsersOnly(404),
    },
    {
      name: "GET /api/sessions/:id/members",
      request: async () => ({ method: "GET", url: `/api/sessions/${sessionId}/members` }),
      expected: staffRead,
    },
    {
      name: "PUT /api/sessions/:id/members/:userId",
      request: async () => ({
        method: "PUT",
        url: `/api/sessions/${sessionId}/members/${grantee.userId}`,
        payload: { role: "moderator" },
      }),
      expected: hostOnly,
    },
    {
      name: "DELETE /api/sessions/:id/members/:userId",
      request: async () => {
        await t.db.db
          .insert(sessionMembers)
          .values({ sessionId, userId: grantee.userId, role: "moderator" })
          .onConflictDoNothing();
        return { method: "DELETE", url: `/api/sessions/${sessionId}/members/${grantee.userId}` };
      },
      expected: { ...hostOnly, host: 204 },
    },
    {
      name: "POST /api/sessions/:id/attendees/:attendeeId/ban",
      request: async () => {
        const target = await createAttendee(t.app, t.db.db, sessionId, "To ban");
        return { method: "POST", url: `/api/sessions/${sessionId}/attendees/${target.attendeeId}/ban` };
      },
      expected: moderate,
    },
    {
      name: "DELETE /api/sessions/:id/attendees/:attendeeId",
      request: async () => {
        const target = await createAttendee(t.app, t.db.db, sessionId, "To remove");
        return { method: "DELETE", url: `/api/sessions/${sessionId}/attendees/${target.attendeeId}` };
      },
      expected: moderate,
    },
  ];

  const cells = routes.flatMap((route) =>
    (Object.keys(route.expected) as ActorName[]).map((actor) => ({
      route,
      actor,
      status: route.expected[actor],
      label: `${route.name} as ${actor} → ${route.expected[actor]}`,
    })),
  );

  it.each(cells)("$label", async ({ route, actor, status }) => {
    const { method, url, payload } = await route.request();
    const res = await t.app.inject({ method, url, payload, headers: credentials(actor) });
    expect(res.statusCode, res.body).toBe(status);
    if (status >= 400) {
      expect(res.headers["content-type"]).toContain("application/problem+json");
      const body = res.json() as { code: string };
      const codes: Record<number, string[]> = {
        401: ["AUTHENTICATION_REQUIRED"],
        403: ["FORBIDDEN", "INSUFFICIENT_SCOPE"],
        404: ["SESSION_NOT_FOUND", "API_KEY_NOT_FOUND"],
      };
      expect(codes[status]).toContain(body.code);
    }
  });

  it("lists the host and the roles it granted", async () => {
    const res = await t.app.inject({
      method: "GET",
      url: `/api/sessions/${sessionId}/members`,
      headers: credentials("host"),
    });
    const roles = Object.fromEntries(
      (res.json() as { items: Array<{ userId: string; role: string }> }).items.map((m) => [m.userId, m.role]),
    );
    expect(roles).toMatchObject({
      [users.host.userId]: "host",
      [users.coHost.userId]: "co_host",
      [users.moderator.userId]: "moderator",
    });
  });

  it("refuses roles for people outside the workspace and for the host itself", async () => {
    const outsider = await t.app.inject({
      method: "PUT",
      url: `/api/sessions/${sessionId}/members/${users.otherPresenter.userId}`,
      headers: credentials("host"),
      payload: { role: "co_host" },
    });
    expect(outsider.statusCode).toBe(422);
    expect(outsider.json()).toMatchObject({ code: "USER_NOT_IN_WORKSPACE" });
    const self = await t.app.inject({
      method: "PUT",
      url: `/api/sessions/${sessionId}/members/${users.host.userId}`,
      headers: credentials("host"),
      payload: { role: "moderator" },
    });
    expect(self.statusCode).toBe(409);
    expect(self.json()).toMatchObject({ code: "HOST_ROLE_FIXED" });
    const [row] = await t.db.db
      .select()
      .from(sessionMembers)
      .where(
        and(eq(sessionMembers.sessionId, sessionId), eq(sessionMembers.userId, users.otherPresenter.userId)),
      );
    expect(row).toBeUndefined();
  });

  it("a banned or removed attendee's token stops working at once", async () => {
    for (const [method, suffix] of [
      ["POST", "/ban"],
      ["DELETE", ""],
    ] as const) {
      const target = await createAttendee(t.app, t.db.db, sessionId, "Target");
      const before = await t.app.inject({
        method: "GET",
        url: "/api/me",
        headers: { authorization: `Bearer ${target.token}` },
      });
      expect(before.statusCode).toBe(200);
      const res = await t.app.inject({
        method,
        url: `/api/sessions/${sessionId}/attendees/${target.attendeeId}${suffix}`,
        headers: credentials("moderator"),
      });
      expect(res.statusCode).toBe(204);
      const after = await t.app.inject({
        method: "GET",
        url: "/api/me",
        headers: { authorization: `Bearer ${target.token}` },
      });
      expect(after.statusCode).toBe(401);
      expect(after.json()).toMatchObject({ code: "ATTENDEE_TOKEN_REVOKED" });
    }
    // Both are in the session's event log, by the moderator who did them.
    const { rows } = await t.db.pool.query(
      "select type, actor_type, actor_id from session_events where session_id = $1 and type like 'attendee.%' order by id",
      [sessionId],
    );
    expect(rows.slice(-2)).toEqual([
      { type: "attendee.banned", actor_type: "user", actor_id: users.moderator.userId },
      { type: "attendee.removed", actor_type: "user", actor_id: users.moderator.userId },
    ]);
    // The other attendee of the session is unaffected.
    const still = await t.app.inject({ method: "GET", url: "/api/me", headers: credentials("attendee") });
    expect(still.statusCode).toBe(200);
  });

  it("an attendee of another session cannot even see this session's attendees", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: `/api/sessions/${sessionId}/attendees/${attendee.attendeeId}/ban`,
      headers: credentials("otherAttendee"),
    });
    expect(res.statusCode).toBe(404);
  });
});
