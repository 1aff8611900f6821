import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";

describe("health routes", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it("reports the database as up with its latency", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/health" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    const body = res.json();
    expect(body.status).toBe("ok");
    expect(body.checks.database.status).toBe("up");
    expect(body.checks.database.latencyMs).toBeGreaterThanOrEqual(0);
    expect(body.checks.redis).toBeUndefined();
  });

  it("answers liveness without touching dependencies", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/health/live" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
  });

  it("is ready while dependencies are up", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/health/ready" });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe("ready");
  });
});

describe("while the instance drains", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    t.app.lifecycle.shuttingDown = true;
  });
  afterAll(async () => t.close());

  it("turns unready but stays live, and refuses other requests with 503 SHUTTING_DOWN", async () => {
    const ready = await t.app.inject({ method: "GET", url: "/api/health/ready" });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: "not_ready", reason: "shutting_down" });
    expect((await t.app.inject({ method: "GET", url: "/api/health/live" })).statusCode).toBe(200);

    const other = await t.app.inject({ method: "GET", url: "/api/docs/json" });
    expect(other.statusCode).toBe(503);
    expect(other.headers.connection).toBe("close");
    expect(other.headers["retry-after"]).toBe("1");
    expect(other.json().code).toBe("SHUTTING_DOWN");
  });
});
