import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";

describe("OpenAPI docs", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it("serves an OpenAPI 3.1 document generated from the route schemas", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/docs/json" });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/api/health", "/api/health/live", "/api/health/ready"]),
    );
    const health = doc.paths["/api/health"].get;
    expect(Object.keys(health.responses)).toEqual(expect.arrayContaining(["200", "503"]));
    expect(JSON.stringify(health.responses["200"])).toMatch(/#\/components\/schemas\/HealthReport/);
    expect(JSON.stringify(doc.components.schemas.HealthReport)).toMatch(/latencyMs/);
  });

  it("documents the protected routes with their credentials, and hides better-auth's catch-all", async () => {
    const doc = (await t.app.inject({ method: "GET", url: "/api/docs/json" })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/me",
        "/api/api-keys",
        "/api/api-keys/{id}",
        "/api/sessions/{id}/members",
        "/api/sessions/{id}/members/{userId}",
        "/api/sessions/{id}/attendees/{attendeeId}/ban",
        "/api/sessions/{id}/attendees/{attendeeId}",
      ]),
    );
    expect(Object.keys(doc.paths).some((path) => path.startsWith("/api/auth"))).toBe(false);
    expect(Object.keys(doc.components.securitySchemes)).toEqual(["bearer", "apiKey", "cookie"]);
    expect(doc.paths["/api/api-keys"].post.security).toEqual([{ bearer: [] }, { cookie: [] }]);
    expect(JSON.stringify(doc.paths["/api/api-keys"].post.requestBody)).toMatch(/sessions:read/);
  });

  it("serves a browsable page", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/docs" });
    const page =
      res.statusCode === 302
        ? await t.app.inject({ method: "GET", url: res.headers.location as string })
        : res;
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.body).toMatch(/swagger/i);
  });
});
