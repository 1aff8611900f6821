import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";
import { AppError } from "../lib/errors.js";

const PROBLEM = /^application\/problem\+json/;

describe("problem+json errors", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { BODY_LIMIT_BYTES: "1024" },
      register(app) {
        app.post(
          "/test/echo/:id",
          {
            schema: {
              params: z.object({ id: z.uuid() }),
              querystring: z.object({ limit: z.coerce.number().int().max(100).optional() }),
              body: z.object({ title: z.string().min(1), count: z.number().int() }).strict(),
            },
          },
          async (request) => ({ ...request.body, id: request.params.id }),
        );
        app.get("/test/boom", async () => {
          throw new Error("secret internals: password=hunter2 at db.internal:5432");
        });
        app.get("/test/conflict", async () => {
          throw new AppError("SESSION_ENDED", 409, "The session has ended.");
        });
        app.get(
          "/test/documented-404",
          {
            schema: {
              response: { 404: z.object({ message: z.string() }), 503: z.object({ message: z.string() }) },
            },
          },
          async (request) => {
            throw request.query && Object.keys(request.query as object).length
              ? new AppError("SERVICE_UNAVAILABLE", 503, "Try later.")
              : new AppError("NOT_FOUND", 404, "The session was not found.");
          },
        );
        app.get("/test/late-refusal/:kind", async (request) => {
          // A refusal decided late that answers first (as the ask route's address limit), over what the route threw.
          request.refusalFirst = async () =>
            new AppError("RATE_LIMITED", 429, "Too many requests; retry in 5 seconds.");
          throw (request.params as { kind: string }).kind === "boom"
            ? new Error("hidden failure: pool exhausted")
            : new AppError("QA_CLOSED", 409, "Q&A is closed.");
        });
        app.get("/test/db-down", async () => {
          throw Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:5432"), { code: "ECONNREFUSED" });
        });
      },
    });
  });
  afterAll(async () => t.close());

  const id = "0b5c6a1e-52f4-4c3e-9d7a-6f1d2c3b4a59";
  const json = { "content-type": "application/json" };

  it("accepts a valid request", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: `/test/echo/${id}`,
      headers: json,
      payload: { title: "a", count: 1 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ title: "a", count: 1, id });
  });

  it("reports every invalid field of body, params and query with its path", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: `/test/echo/${id}?limit=1000`,
      headers: json,
      payload: { title: "", count: 1.5, status: "live" },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toMatch(PROBLEM);
    const body = res.json();
    expect(body).toMatchObject({ status: 400, code: "VALIDATION_FAILED", title: "Bad Request" });
    expect(body.type).toMatch(/validation-failed$/);
    expect(body.errors.length).toBeGreaterThan(0);
    for (const error of body.errors) {
      expect(error.path).toMatch(/^(body|params|querystring)/);
      expect(typeof error.message).toBe("string");
    }

    const bad = await t.app.inject({
      method: "POST",
      url: "/test/echo/not-a-uuid",
      headers: json,
      payload: { title: "a", count: 1 },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe("params.id");

    const body2 = await t.app.inject({
      method: "POST",
      url: `/test/echo/${id}`,
      headers: json,
      payload: { title: "", count: 1 },
    });
    expect(body2.json().errors).toEqual([{ path: "body.title", message: expect.any(String) }]);
  });

  it("rejects unknown fields (no mass assignment)", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: `/test/echo/${id}`,
      headers: json,
      payload: { title: "a", count: 1, ownerId: "someone-else" },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe("VALIDATION_FAILED");
  });

  it("404 for an unknown route", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/does-not-exist?token=abc" });
    expect(res.statusCode).toBe(404);
    expect(res.headers["content-type"]).toMatch(PROBLEM);
    expect(res.json()).toMatchObject({ code: "NOT_FOUND", status: 404, instance: "/api/does-not-exist" });
  });

  it("405 with Allow for a known path and the wrong method", async () => {
    const res = await t.app.inject({ method: "DELETE", url: "/api/health" });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe("GET, HEAD");
    expect(res.json()).toMatchObject({ code: "METHOD_NOT_ALLOWED", status: 405 });
  });

  it("413 for a body over the limit", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: `/test/echo/${id}`,
      headers: json,
      payload: JSON.stringify({ title: "x".repeat(4096), count: 1 }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers["content-type"]).toMatch(PROBLEM);
    expect(res.json().code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("415 for a body that is not JSON", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: `/test/echo/${id}`,
      headers: { "content-type": "text/plain" },
      payload: "title=a",
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("400 MALFORMED_JSON for broken or empty JSON", async () => {
    for (const payload of ['{"title": "a",', "", "[1, 2", '{"title": "\\u12"}']) {
      const res = await t.app.inject({ method: "POST", url: `/test/echo/${id}`, headers: json, payload });
      expect(res.statusCode, payload).toBe(400);
      expect(res.headers["content-type"]).toMatch(PROBLEM);
      expect(res.json().code).toBe("MALFORMED_JSON");
    }
  });

  it("refuses prototype poisoning as a client error", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: `/test/echo/${id}`,
      headers: json,
      payload: '{"title":"a","count":1,"__proto__":{"admin":true}}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toMatch(PROBLEM);
  });

  it("masks a 500: no message, no stack; the log has the details and the request id", async () => {
    const res = await t.app.inject({
      method: "GET",
      url: "/test/boom",
      headers: { "x-request-id": "trace-0123456789" },
    });
    expect(res.statusCode).toBe(500);
    expect(res.headers["content-type"]).toMatch(PROBLEM);
    expect(res.body).not.toMatch(/secret|hunter2|db\.internal|at |stack/);
    expect(res.json()).toMatchObject({ code: "INTERNAL_ERROR", status: 500, requestId: "trace-0123456789" });
    const logged = t.logs.lines.find((line) => line.msg === "unhandled error");
    expect(logged?.requestId).toBe("trace-0123456789");
    expect(JSON.stringify(logged?.err)).toMatch(/secret internals/);
  });

  it("answers a late refusal first, and still logs a failure of ours that it hides", async () => {
    for (const kind of ["refused", "boom"]) {
      const res = await t.app.inject({
        method: "GET",
        url: `/test/late-refusal/${kind}`,
        headers: { "x-request-id": `late-${kind}` },
      });
      expect(res.statusCode).toBe(429);
      expect(res.json()).toMatchObject({ code: "RATE_LIMITED" });
    }
    const logged = t.logs.lines.filter((line) => line.msg === "unhandled error");
    expect(logged.map((line) => line.requestId)).toContain("late-boom");
    expect(logged.map((line) => line.requestId)).not.toContain("late-refused");
    expect(JSON.stringify(logged.find((line) => line.requestId === "late-boom")?.err)).toMatch(
      /pool exhausted/,
    );
  });

  it("renders a service's AppError with its own code and status", async () => {
    const res = await t.app.inject({ method: "GET", url: "/test/conflict" });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: "SESSION_ENDED",
      detail: "The session has ended.",
      title: "Conflict",
    });
  });

  it("turns a database outage into 503 with Retry-After, not 500", async () => {
    const res = await t.app.inject({ method: "GET", url: "/test/db-down" });
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBeDefined();
    expect(res.json().code).toBe("SERVICE_UNAVAILABLE");
    expect(res.body).not.toMatch(/10\.0\.0\.1/);
  });

  it("never answers odd input with a 5xx", async () => {
    const cases = [
      { method: "GET" as const, url: "/api/%E0%A4%A" },
      { method: "GET" as const, url: `/api/${"a".repeat(5000)}` },
      { method: "GET" as const, url: "/api/health/../../etc/passwd" },
      { method: "POST" as const, url: `/test/echo/${id}`, headers: json, payload: "null" },
      { method: "POST" as const, url: `/test/echo/${id}`, headers: json, payload: '"just a string"' },
      {
        method: "POST" as const,
        url: `/test/echo/${id}`,
        headers: json,
        payload: '{"title":{"$gt":""},"count":1}',
      },
      {
        method: "POST" as const,
        url: `/test/echo/${id}`,
        headers: { "content-type": "application/json; charset=latin1" },
        payload: "{}",
      },
      {
        method: "POST" as const,
        url: `/test/echo/${id}?limit=1e400`,
        headers: json,
        payload: { title: "a", count: 1 },
      },
    ];
    for (const c of cases) {
      const res = await t.app.inject(c);
      expect(res.statusCode, c.url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, c.url).toBeLessThan(500);
      expect(res.headers["content-type"], c.url).toMatch(PROBLEM);
    }
  });

  it("echoes an acceptable X-Request-Id and replaces an unacceptable one", async () => {
    const kept = await t.app.inject({
      method: "GET",
      url: "/api/health/live",
      headers: { "x-request-id": "abc-12345678" },
    });
    expect(kept.headers["x-request-id"]).toBe("abc-12345678");
    const replaced = await t.app.inject({
      method: "GET",
      url: "/api/health/live",
      headers: { "x-request-id": "bad id\n" },
    });
    expect(replaced.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("keeps the problem shape even where the route documents its own error schema", async () => {
    const notFound = await t.app.inject({ method: "GET", url: "/test/documented-404" });
    expect(notFound.statusCode).toBe(404);
    expect(notFound.headers["content-type"]).toMatch(PROBLEM);
    expect(notFound.json()).toMatchObject({ code: "NOT_FOUND", detail: "The session was not found." });
    const unavailable = await t.app.inject({ method: "GET", url: "/test/documented-404?x=1" });
    expect(unavailable.statusCode).toBe(503);
    expect(unavailable.json().code).toBe("SERVICE_UNAVAILABLE");
  });
});

describe("errors from the HTTP parser, before any route", () => {
  let t: TestApp;
  let base: URL;
  beforeAll(async () => {
    t = await createTestApp();
    base = new URL(await t.app.listen({ port: 0, host: "127.0.0.1" }));
  });
  afterAll(async () => t.close());

  const raw = (request: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(Number(base.port), "127.0.0.1", () => socket.end(request));
      let received = "";
      socket.on("data", (chunk) => (received += chunk.toString()));
      socket.on("close", () => resolve(received));
      socket.on("error", reject);
    });

  it("answers headers over the limit with 431 problem+json", async () => {
    const response = await raw(
      `GET /api/health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    expect(response).toMatch(/^HTTP\/1\.1 431 /);
    expect(response).toMatch(/content-type: application\/problem\+json/i);
    expect(response).toContain('"code":"HEADERS_TOO_LARGE"');
  });

  it("answers a request that is not HTTP with 400 problem+json", async () => {
    const response = await raw("HELLO THERE\r\n\r\n");
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(response).toContain('"code":"BAD_REQUEST"');
  });
});
