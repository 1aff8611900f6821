import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, TEST_AUTH_SECRET, type TestApp } from "../../../test/helpers/app.js";
import {
  createApiKey,
  createAttendee,
  createSession,
  signIn,
  trustedOrigin,
} from "../../../test/helpers/actors.js";

/** Request lines say who did what, and never carry a credential, a secret or an email (issue 3, point 9). */
describe("request logging with credentials", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it("logs method, route, status, duration, actor and request id, and no secret", async () => {
    const email = "logged.person@example.test";
    const user = await signIn(t.app, t.db.db, "Logged Person", email);
    const { key } = await createApiKey(t.app, user, ["sessions:read"]);
    const sessionId = await createSession(t.db.db, {
      userId: user.userId,
      workspaceId: user.personalWorkspaceId,
    });
    const attendee = await createAttendee(t.app, t.db.db, sessionId);
    const cookieValue = user.cookie.split("=").slice(1).join("=");

    const requests = [
      { headers: { authorization: `Bearer ${user.token}` }, actor: `user:${user.userId}`, status: 200 },
      { headers: { cookie: user.cookie }, actor: `user:${user.userId}`, status: 200 },
      { headers: { "x-api-key": key }, actor: expect.stringMatching(/^key:/), status: 200 },
      {
        headers: { authorization: `Bearer ${attendee.token}` },
        actor: `attendee:${attendee.attendeeId}`,
        status: 200,
      },
      { headers: { authorization: `Bearer ${attendee.token}x` }, actor: undefined, status: 401 },
    ];
    for (const { headers, actor, status } of requests) {
      const from = t.logs.lines.length;
      const res = await t.app.inject({ method: "GET", url: "/api/me?token=in-the-query", headers });
      expect(res.statusCode).toBe(status);
      await expect
        .poll(() => t.logs.lines.slice(from).find((l) => l.msg === "request completed"))
        .toBeDefined();
      const line = t.logs.lines.slice(from).find((l) => l.msg === "request completed");
      expect(line).toMatchObject({
        method: "GET",
        route: "/api/me",
        path: "/api/me",
        status,
        requestId: res.headers["x-request-id"],
      });
      expect(line?.durationMs).toEqual(expect.any(Number));
      expect(line?.actor).toEqual(actor);
    }
    // A sign-out, a failed sign-in and a CSRF refusal add their own lines.
    await t.app.inject({
      method: "POST",
      url: "/api/auth/sign-out",
      headers: { cookie: user.cookie, origin: trustedOrigin(t.app) },
    });
    await t.app.inject({
      method: "POST",
      url: "/api/auth/dev/sign-in",
      headers: { origin: trustedOrigin(t.app) },
      payload: { name: "", email },
    });
    await t.app.inject({ method: "POST", url: "/api/auth/sign-out", headers: { cookie: user.cookie } });

    const log = t.logs.raw.join("\n");
    for (const secret of [
      user.token,
      cookieValue,
      key,
      attendee.token,
      TEST_AUTH_SECRET,
      email,
      "in-the-query",
    ]) {
      expect(log).not.toContain(secret);
    }
    expect(log).not.toMatch(/@example\.test/);
  });
});
