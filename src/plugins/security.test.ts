import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";
import {
  createAttendee,
  createSession,
  signIn,
  trustedOrigin,
  type SignedInUser,
} from "../../test/helpers/actors.js";

const ALLOWED = "https://console.example.com";

describe("CSRF, CORS and security headers", () => {
  let t: TestApp;
  let user: SignedInUser;
  let sessionId: string;
  beforeAll(async () => {
    t = await createTestApp({ env: { CORS_ORIGINS: ALLOWED } });
    user = await signIn(t.app, t.db.db, "Csrf Tester");
    sessionId = await createSession(t.db.db, { userId: user.userId, workspaceId: user.personalWorkspaceId });
  });
  afterAll(async () => t?.close());

  /** A cookie-authenticated mutation that succeeds when it gets through: removing an attendee. */
  async function removeAttendee(headers: Record<string, string>) {
    const target = await createAttendee(t.app, t.db.db, sessionId);
    return t.app.inject({
      method: "DELETE",
      url: `/api/sessions/${sessionId}/attendees/${target.attendeeId}`,
      headers,
    });
  }

  it.each([
    ["no Origin at all", {}],
    ["an untrusted Origin", { origin: "https://evil.example" }],
    ["a look-alike Origin", { origin: `${ALLOWED}.evil.example` }],
    ["an untrusted Referer", { referer: "https://evil.example/page" }],
  ])("refuses a cookie-authenticated mutation with %s", async (_label, extra) => {
    const res = await removeAttendee({ cookie: user.cookie, ...extra });
    expect(res.statusCode).toBe(403);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.json()).toMatchObject({ code: "CSRF_ORIGIN_REJECTED" });
  });

  it.each([
    ["the server's own origin", () => ({ origin: trustedOrigin(t.app) })],
    ["a configured CORS origin", () => ({ origin: ALLOWED })],
    ["a trusted Referer", () => ({ referer: `${ALLOWED}/sessions/1` })],
  ])("lets a cookie-authenticated mutation from %s through", async (_label, extra) => {
    const res = await removeAttendee({ cookie: user.cookie, ...extra() });
    expect(res.statusCode, res.body).toBe(204);
  });

  it("exempts bearer requests, which a browser never sends on its own", async () => {
    const res = await removeAttendee({
      authorization: `Bearer ${user.token}`,
      origin: "https://evil.example",
    });
    expect(res.statusCode).toBe(204);
  });

  it("leaves reads alone", async () => {
    const res = await t.app.inject({
      method: "GET",
      url: "/api/me",
      headers: { cookie: user.cookie, origin: "https://evil.example" },
    });
    expect(res.statusCode).toBe(200);
  });

  it("answers a preflight from an allowed origin, with credentials", async () => {
    const res = await t.app.inject({
      method: "OPTIONS",
      url: "/api/me",
      headers: { origin: ALLOWED, "access-control-request-method": "DELETE" },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe(ALLOWED);
    expect(res.headers["access-control-allow-credentials"]).toBe("true");
    expect(String(res.headers["access-control-allow-methods"])).toContain("DELETE");
  });

  it("gives no CORS grant to other origins", async () => {
    const preflight = await t.app.inject({
      method: "OPTIONS",
      url: "/api/me",
      headers: { origin: "https://evil.example", "access-control-request-method": "GET" },
    });
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
    const simple = await t.app.inject({
      method: "GET",
      url: "/api/health/live",
      headers: { origin: "https://evil.example" },
    });
    expect(simple.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("sends helmet's security headers on API routes, errors included, and not on health probes", async () => {
    for (const url of ["/api/me", "/api/nothing-here"]) {
      const res = await t.app.inject({ method: "GET", url });
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      expect(res.headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
      expect(res.headers["x-frame-options"]).toBe("SAMEORIGIN");
      expect(res.headers["cross-origin-resource-policy"]).toBe("same-site");
      expect(res.headers["referrer-policy"]).toBe("no-referrer");
    }
    const probe = await t.app.inject({
      method: "GET",
      url: "/api/health/live",
      headers: { origin: ALLOWED },
    });
    expect(probe.statusCode).toBe(200);
    expect(probe.headers["x-content-type-options"]).toBeUndefined();
    expect(probe.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("keeps 404 for unknown paths although CORS answers preflights everywhere", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/nothing-here" });
    expect(res.statusCode).toBe(404);
  });
});
