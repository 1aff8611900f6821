import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { addToWorkspace, createAttendee, signIn, type SignedInUser } from "../../../test/helpers/actors.js";
import { JOIN_CODE_ALPHABET } from "./join-code.js";

describe("sessions: create, read, change, delete, lifecycle", () => {
  let t: TestApp;
  let host: SignedInUser;
  let other: SignedInUser;
  beforeAll(async () => {
    t = await createTestApp();
    host = await signIn(t.app, t.db.db, "Host");
    other = await signIn(t.app, t.db.db, "Other Presenter");
  });
  afterAll(async () => t?.close());

  const as = (user: SignedInUser) => ({ authorization: `Bearer ${user.token}` });
  const create = async (payload: object = { title: "Opening keynote" }, user = host) => {
    const res = await t.app.inject({ method: "POST", url: "/api/sessions", headers: as(user), payload });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as {
      id: string;
      status: string;
      joinCode: string;
      version: number;
      workspaceId: string;
    };
  };
  const events = async (sessionId: string) =>
    (
      await t.db.pool.query("select type from session_events where session_id = $1 order by id", [sessionId])
    ).rows.map((row: { type: string }) => row.type);

  it("creates a draft in the caller's personal workspace, with defaults and an unambiguous join code", async () => {
    const session = await create();
    expect(session).toMatchObject({
      status: "draft",
      workspaceId: host.personalWorkspaceId,
      capacity: 500,
      version: 1,
      settings: { qa: { enabled: true, moderation: "none" }, media: { screenShareAllowed: true } },
    });
    expect(session.joinCode).toMatch(new RegExp(`^[${JOIN_CODE_ALPHABET}]{6}$`));
    expect(await events(session.id)).toEqual(["session.created"]);
    const scheduled = await create({ title: "Later", scheduledAt: "2030-01-01T10:00:00Z" });
    expect(scheduled.status).toBe("scheduled");
  });

  it.each([
    ["an empty title", { title: "  " }],
    ["a status (mass assignment)", { title: "x", status: "live" }],
    ["an owner (mass assignment)", { title: "x", ownerId: "5eed0001-0000-4000-8000-000000000001" }],
    ["a capacity of 0", { title: "x", capacity: 0 }],
    ["an unknown setting", { title: "x", settings: { qa: { everything: true } } }],
  ])("refuses %s with 400", async (_label, payload) => {
    const res = await t.app.inject({ method: "POST", url: "/api/sessions", headers: as(host), payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: "VALIDATION_FAILED" });
  });

  it("refuses a workspace the caller is not a member of with 404, and attendees with 403", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/sessions",
      headers: as(other),
      payload: { title: "Intruder", workspaceId: host.personalWorkspaceId },
    });
    expect(res.statusCode).toBe(404);
    const session = await create({ title: "Waiting room", scheduledAt: soon() });
    const attendee = await createAttendee(t.app, t.db.db, session.id);
    const byAttendee = await t.app.inject({
      method: "POST",
      url: "/api/sessions",
      headers: { authorization: `Bearer ${attendee.token}` },
      payload: { title: "From the audience" },
    });
    expect(byAttendee.statusCode).toBe(403);
  });

  it("lets a workspace member create sessions in the shared workspace", async () => {
    const member = await signIn(t.app, t.db.db, "Member");
    await addToWorkspace(t.db.db, host.personalWorkspaceId, member.userId, "member");
    const session = await create({ title: "Guest talk", workspaceId: host.personalWorkspaceId }, member);
    expect(session.workspaceId).toBe(host.personalWorkspaceId);
  });

  it("changes fields, merges settings, bumps the version, and hides the session from other tenants", async () => {
    const session = await create({
      title: "Draft",
      settings: { qa: { moderation: "pre", maxQuestionLength: 500 } },
    });
    const res = await t.app.inject({
      method: "PATCH",
      url: `/api/sessions/${session.id}`,
      headers: as(host),
      payload: { title: "Final title", settings: { qa: { allowDownvotes: true } } },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      title: "Final title",
      version: 2,
      settings: { qa: { moderation: "pre", maxQuestionLength: 500, allowDownvotes: true } },
    });
    const bad = await t.app.inject({
      method: "PATCH",
      url: `/api/sessions/${session.id}`,
      headers: as(host),
      payload: { settings: { qa: { maxQuestionLength: 5 } } },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe("body.settings.qa.maxQuestionLength");
    for (const method of ["GET", "PATCH", "DELETE"] as const) {
      const res = await t.app.inject({
        method,
        url: `/api/sessions/${session.id}`,
        headers: as(other),
        ...(method === "PATCH" && { payload: { title: "Hijacked" } }),
      });
      expect(res.statusCode).toBe(404);
    }
    expect(await events(session.id)).toEqual(["session.created", "session.updated"]);
  });

  it("keeps both of two concurrent changes to different settings, each logged with the version it made", async () => {
    const session = await create({ title: "Busy" });
    const patch = (settings: Record<string, unknown>) =>
      t.app.inject({
        method: "PATCH",
        url: `/api/sessions/${session.id}`,
        headers: as(host),
        payload: { settings },
      });
    const answers = await Promise.all([
      patch({ qa: { moderation: "pre" } }),
      patch({ media: { screenShareAllowed: false } }),
      patch({ collectAttendeeEmail: true }),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    const read = await t.app.inject({ method: "GET", url: `/api/sessions/${session.id}`, headers: as(host) });
    expect(read.json()).toMatchObject({
      version: 4,
      settings: {
        qa: { moderation: "pre", maxQuestionLength: 300 },
        media: { screenShareAllowed: false, maxBitrateKbps: 2500 },
        collectAttendeeEmail: true,
      },
    });
    const { rows } = await t.db.pool.query<{ version: number }>(
      "select (payload->>'version')::int as version from session_events where session_id = $1 and type = 'session.updated' order by version",
      [session.id],
    );
    expect(rows.map((r) => r.version)).toEqual([2, 3, 4]);
    // An ended session takes no change, and says so.
    await t.db.pool.query(
      "update sessions set status = 'ended', started_at = now(), ended_at = now() where id = $1",
      [session.id],
    );
    expect((await patch({ qa: { moderation: "none" } })).json()).toMatchObject({
      status: 409,
      code: "SESSION_ENDED",
    });
  });

  it("goes live and ends, safely retried, with illegal transitions refused with 409", async () => {
    const session = await create();
    const post = (action: string) =>
      t.app.inject({ method: "POST", url: `/api/sessions/${session.id}/${action}`, headers: as(host) });
    expect((await post("end")).json()).toMatchObject({ code: "SESSION_NOT_LIVE" });
    const started = await post("start");
    expect(started.json()).toMatchObject({ status: "live", version: 2 });
    expect((await post("start")).json()).toMatchObject({ status: "live", version: 2 });
    const deleteLive = await t.app.inject({
      method: "DELETE",
      url: `/api/sessions/${session.id}`,
      headers: as(host),
    });
    expect(deleteLive.statusCode).toBe(409);
    expect(deleteLive.json()).toMatchObject({ code: "SESSION_LIVE" });
    expect((await post("end")).json()).toMatchObject({ status: "ended", version: 3 });
    expect((await post("end")).statusCode).toBe(200);
    const restart = await post("start");
    expect(restart.statusCode).toBe(409);
    expect(restart.json()).toMatchObject({ code: "SESSION_ENDED" });
    const patch = await t.app.inject({
      method: "PATCH",
      url: `/api/sessions/${session.id}`,
      headers: as(host),
      payload: { title: "Too late" },
    });
    expect(patch.statusCode).toBe(409);
    expect(await events(session.id)).toEqual(["session.created", "session.started", "session.ended"]);
  });

  it("deletes a session that is not live, with its attendees", async () => {
    const session = await create({ title: "Cancelled", scheduledAt: soon() });
    await createAttendee(t.app, t.db.db, session.id);
    const res = await t.app.inject({
      method: "DELETE",
      url: `/api/sessions/${session.id}`,
      headers: as(host),
    });
    expect(res.statusCode).toBe(204);
    const { rows } = await t.db.pool.query("select count(*)::int as n from attendees where session_id = $1", [
      session.id,
    ]);
    expect(rows[0].n).toBe(0);
    const again = await t.app.inject({
      method: "GET",
      url: `/api/sessions/${session.id}`,
      headers: as(host),
    });
    expect(again.statusCode).toBe(404);
  });

  it("shows the public face of a scheduled or live session to anyone with its code, in any case", async () => {
    const session = await create({ title: "Public talk", scheduledAt: "2030-05-01T09:00:00Z" });
    const res = await t.app.inject({ method: "GET", url: `/api/join/${session.joinCode.toLowerCase()}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      sessionId: session.id,
      title: "Public talk",
      status: "scheduled",
      presenterName: "Host",
      qaOpen: true,
      scheduledAt: "2030-05-01T09:00:00.000Z",
    });
    const draft = await create({ title: "Not yet" });
    const hidden = await t.app.inject({ method: "GET", url: `/api/join/${draft.joinCode}` });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json()).toMatchObject({ code: "JOIN_CODE_NOT_FOUND" });
    expect((await t.app.inject({ method: "GET", url: "/api/join/ZZZZZZ" })).statusCode).toBe(404);
    const malformed = await t.app.inject({ method: "GET", url: "/api/join/no%20such!" });
    expect(malformed.statusCode).toBe(400);
  });
});

describe("join code lookups", () => {
  it("are rate-limited per address on their own, against enumeration", async () => {
    const t = await createTestApp({ env: { RATE_LIMIT_JOIN_LOOKUP_MAX: "3" } });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i += 1) {
        statuses.push(
          (await t.app.inject({ method: "GET", url: `/api/join/GUESS${i}`, remoteAddress: "10.3.0.1" }))
            .statusCode,
        );
      }
      expect(statuses).toEqual([404, 404, 404, 429]);
      // Another address, and the rest of the API for the same address, are unaffected.
      expect(
        (await t.app.inject({ method: "GET", url: "/api/join/GUESS9", remoteAddress: "10.3.0.2" }))
          .statusCode,
      ).toBe(404);
      expect(
        (await t.app.inject({ method: "GET", url: "/api/me", remoteAddress: "10.3.0.1" })).statusCode,
      ).toBe(401);
    } finally {
      await t.close();
    }
  });
});

const soon = () => new Date(Date.now() + 3_600_000).toISOString();
