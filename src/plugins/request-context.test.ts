import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";

/** What a caller may send that must never reach the logs. */
const SECRET_QUERY = "?token=s3cr3t-query&code=abc";
const SECRET_HEADERS = { cookie: "session=s3cr3t-cookie" };
const SECRETS = [
  "s3cr3t-query",
  "s3cr3t-bearer",
  "s3cr3t-cookie",
  "s3cr3t-key",
  "code=abc",
  '"abc"',
  "token=",
];

describe("request context: request lines and request ids", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      register(app) {
        app.get("/test/things/:id", async (request) => {
          request.log.info({ step: "handler" }, "working on a thing");
          request.log.warn("something worth a warning");
          return { id: (request.params as { id: string }).id };
        });
        app.post("/test/fail", async (request) => {
          request.log.info("about to fail");
          throw new Error("boom");
        });
      },
    });
  });
  afterAll(async () => t.close());

  /**
   * Sends one request carrying every secret and waits for its "request completed" line (written in onResponse,
   * which may run just after inject resolves); returns the response and every line written meanwhile.
   */
  async function send(method: "GET" | "POST", path: string, headers: Record<string, string> = {}) {
    const from = t.logs.lines.length;
    const res = await t.app.inject({
      method,
      url: `${path}${SECRET_QUERY}`,
      headers: { ...SECRET_HEADERS, ...headers },
    });
    const deadline = Date.now() + 2_000;
    const completed = () => t.logs.lines.slice(from).find((line) => line.msg === "request completed");
    while (!completed() && Date.now() < deadline) await sleep(5);
    const lines = t.logs.lines.slice(from);
    const raw = t.logs.raw.slice(from);
    return { res, lines, raw, completed: completed() };
  }

  const cases: Array<{
    name: string;
    method: "GET" | "POST";
    path: string;
    route: string;
    status: number;
    /** Lines the request writes besides its request line. */
    minLines: number;
    headers?: Record<string, string>;
  }> = [
    {
      name: "a matched route",
      method: "GET",
      path: "/api/health/live",
      route: "/api/health/live",
      status: 200,
      minLines: 1,
    },
    {
      name: "a route with parameters that logs",
      method: "GET",
      path: "/test/things/42",
      route: "/test/things/:id",
      status: 200,
      minLines: 3,
    },
    {
      name: "a route that throws",
      method: "POST",
      path: "/test/fail",
      route: "/test/fail",
      status: 500,
      minLines: 3,
    },
    {
      name: "a bad bearer token",
      method: "GET",
      path: "/test/things/42",
      route: "/test/things/:id",
      status: 401,
      minLines: 1,
      headers: { authorization: "Bearer s3cr3t-bearer" },
    },
    {
      name: "a bad API key",
      method: "POST",
      path: "/test/fail",
      route: "/test/fail",
      status: 401,
      minLines: 1,
      headers: { "x-api-key": "s3cr3t-key" },
    },
    {
      name: "no route at all",
      method: "GET",
      path: "/nowhere",
      route: "(unmatched)",
      status: 404,
      minLines: 1,
    },
  ];

  it.each(cases)("writes one request line for $name, without the query or any secret", async (c) => {
    const { res, lines, raw, completed } = await send(c.method, c.path, c.headers);
    expect(res.statusCode).toBe(c.status);
    const requestId = res.headers["x-request-id"];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);

    expect(completed).toMatchObject({
      level: 30,
      method: c.method,
      route: c.route,
      path: c.path,
      status: c.status,
      requestId,
    });
    expect(completed?.durationMs).toEqual(expect.any(Number));
    expect(completed?.durationMs).toBeGreaterThanOrEqual(0);
    expect(lines.filter((line) => line.msg === "request completed")).toHaveLength(1);
    expect(lines.length).toBeGreaterThanOrEqual(c.minLines);

    // Every line written while the request ran belongs to it...
    for (const line of lines) expect(line, String(line.msg)).toMatchObject({ requestId });
    // ...and none carries a secret the caller sent, in any field.
    for (const line of raw) for (const secret of SECRETS) expect(line).not.toContain(secret);
  });

  it("keeps the caller's X-Request-Id on every line of its request", async () => {
    const { res, lines } = await send("GET", "/test/things/7", { "x-request-id": "caller-id-0001" });
    expect(res.headers["x-request-id"]).toBe("caller-id-0001");
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(line).toMatchObject({ requestId: "caller-id-0001" });
  });

  it("gives each request its own id", async () => {
    const first = await send("GET", "/api/health/live");
    const second = await send("GET", "/api/health/live");
    expect(first.res.headers["x-request-id"]).not.toBe(second.res.headers["x-request-id"]);
    expect(second.completed?.requestId).toBe(second.res.headers["x-request-id"]);
  });

  it("has written no secret anywhere in the logs of the whole file", () => {
    expect(t.logs.raw.length).toBeGreaterThan(0);
    for (const line of t.logs.raw) for (const secret of SECRETS) expect(line).not.toContain(secret);
  });
});
