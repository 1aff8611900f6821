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
} from "../../../test/helpers/actors.js";
import { sessionMembers } from "./sessions.table.js";

/**
 * PATCH decides and writes in one statement (sessions.edit.ts): whoever the policy refuses gets its refusal and
 * nothing is written (no new version, no event); whoever it allows changes the session once.
 */
describe("sessions: the edit statement writes only what the policy allows", () => {
  let t: TestApp;
  let host: SignedInUser;
  const people: Record<string, SignedInUser> = {};
  beforeAll(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_IP_MAX: "100000", RATE_LIMIT_ACTOR_MAX: "100000" } });
    host = await signIn(t.app, t.db.db, "Edit Host");
    for (const name of ["coHost", "moderator", "wsAdmin", "wsMember", "stranger", "admin"]) {
      people[name] = await signIn(t.app, t.db.db, `Edit ${name}`);
    }
    await addToWorkspace(t.db.db, host.personalWorkspaceId, people.wsAdmin!.userId, "admin");
    await addToWorkspace(t.db.db, host.personalWorkspaceId, people.wsMember!.userId, "member");
    await makePlatformAdmin(t.db.db, people.admin!.userId);
  });
  afterAll(async () => t?.close());

  const state = async (sessionId: string) => {
    const { rows } = await t.db.pool.query<{ title: string; version: number; edits: number }>(
      `select title, version, (select count(*)::int from session_events e
         where e.session_id = s.id and e.type = 'session.updated') as edits
       from sessions s where id = $1`,
      [sessionId],
    );
    return rows[0]!;
  };
  const patch = (sessionId: string, headers: Record<string, string>, title: string) =>
    t.app.inject({ method: "PATCH", url: `/api/sessions/${sessionId}`, headers, payload: { title } });

  it("changes the session for hosts, co-hosts, workspace admins and the platform admin, once each", async () => {
    const sessionId = await createSession(t.db.db, {
      userId: host.userId,
      workspaceId: host.personalWorkspaceId,
    });
    await t.db.db.insert(sessionMembers).values([
      { sessionId, userId: people.coHost!.userId, role: "co_host" },
      { sessionId, userId: people.moderator!.userId, role: "moderator" },
    ]);
    const key = await createApiKey(t.app, host, ["sessions:write"]);
    const allowed: Array<[string, Record<string, string>]> = [
      ["host", { authorization: `Bearer ${host.token}` }],
      ["coHost", { authorization: `Bearer ${people.coHost!.token}` }],
      ["wsAdmin", { authorization: `Bearer ${people.wsAdmin!.token}` }],
      ["admin", { authorization: `Bearer ${people.admin!.token}` }],
      ["key", { "x-api-key": key.key }],
    ];
    let version = (await state(sessionId)).version;
    for (const [who, headers] of allowed) {
      const res = await patch(sessionId, headers, `Edited by ${who}`);
      expect(res.statusCode, `${who}: ${res.body}`).toBe(200);
      expect(res.json()).toMatchObject({ title: `Edited by ${who}`, version: version + 1 });
      version += 1;
    }
    expect(await state(sessionId)).toEqual({ title: "Edited by key", version, edits: allowed.length });
  });

  it("writes nothing for those it refuses, with the policy's refusal", async () => {
    const sessionId = await createSession(t.db.db, {
      userId: host.userId,
      workspaceId: host.personalWorkspaceId,
    });
    await t.db.db
      .insert(sessionMembers)
      .values({ sessionId, userId: people.moderator!.userId, role: "moderator" });
    const readOnlyKey = await createApiKey(t.app, host, ["sessions:read"]);
    const attendee = await createAttendee(t.app, t.db.db, sessionId, "Edit Attendee");
    const refused: Array<[string, Record<string, string>, number, string]> = [
      ["moderator", { authorization: `Bearer ${people.moderator!.token}` }, 403, "FORBIDDEN"],
      ["wsMember", { authorization: `Bearer ${people.wsMember!.token}` }, 403, "FORBIDDEN"],
      ["stranger", { authorization: `Bearer ${people.stranger!.token}` }, 404, "SESSION_NOT_FOUND"],
      ["read-only key", { "x-api-key": readOnlyKey.key }, 403, "INSUFFICIENT_SCOPE"],
      ["attendee", { authorization: `Bearer ${attendee.token}` }, 403, "FORBIDDEN"],
    ];
    const before = await state(sessionId);
    for (const [who, headers, status, code] of refused) {
      const res = await patch(sessionId, headers, `Hijacked by ${who}`);
      expect(res.statusCode, `${who}: ${res.body}`).toBe(status);
      expect(res.json()).toMatchObject({ code });
    }
    expect(await state(sessionId)).toEqual(before);
  });

  it("refuses an ended session to its host (409) and an unknown one (404)", async () => {
    const sessionId = await createSession(t.db.db, {
      userId: host.userId,
      workspaceId: host.personalWorkspaceId,
    });
    await t.db.pool.query("update sessions set status = 'ended', ended_at = now() where id = $1", [
      sessionId,
    ]);
    const before = await state(sessionId);
    const ended = await patch(sessionId, { authorization: `Bearer ${host.token}` }, "Too late");
    expect(ended.statusCode).toBe(409);
    expect(ended.json()).toMatchObject({ code: "SESSION_ENDED" });
    expect(await state(sessionId)).toEqual(before);
    const unknown = await patch(
      "5eed0001-0000-4000-8000-0000000000ff",
      { authorization: `Bearer ${host.token}` },
      "Nobody",
    );
    expect(unknown.statusCode).toBe(404);
  });
});
