import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";
import { CLIENT_CSP } from "./web-client.js";

/** The browser client as the server serves it: its two pages, their assets, and what happens when it is not built. */
describe("web client", () => {
  let dir: string;
  let t: TestApp;
  let unbuilt: TestApp;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "podium-web-"));
    await mkdir(join(dir, "assets"));
    await writeFile(join(dir, "index.html"), "<!doctype html><title>console</title>");
    await writeFile(join(dir, "join.html"), "<!doctype html><title>attendee</title>");
    await writeFile(join(dir, "assets", "console-abc123.js"), "console.log('hi')");
    await writeFile(join(dir, "secret.txt"), "not an asset");
    t = await createTestApp({ env: { WEB_CLIENT_DIR: dir } });
    unbuilt = await createTestApp({ env: { WEB_CLIENT_DIR: join(dir, "missing") }, database: t.db as never });
  });
  afterAll(async () => {
    await unbuilt?.app.close();
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the console at / and the attendee page at /join and /join/:code, never cached, with a strict CSP", async () => {
    for (const [url, title] of [
      ["/", "console"],
      ["/join", "attendee"],
      ["/join/K7M2QX", "attendee"],
    ] as const) {
      const res = await t.app.inject({ method: "GET", url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(res.body).toContain(`<title>${title}</title>`);
      expect(res.headers["cache-control"]).toBe("no-cache");
      expect(res.headers["content-security-policy"]).toBe(CLIENT_CSP);
      expect(res.headers["x-frame-options"]).toBe("SAMEORIGIN");
    }
    expect(CLIENT_CSP).toContain("script-src 'self'");
    expect(CLIENT_CSP).toContain("frame-ancestors 'none'");
  });

  it("serves hashed assets as immutable and nothing outside assets/", async () => {
    const asset = await t.app.inject({ method: "GET", url: "/assets/console-abc123.js" });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(asset.body).toBe("console.log('hi')");
    for (const url of [
      "/assets/../secret.txt",
      "/assets/%2e%2e/secret.txt",
      "/secret.txt",
      "/assets/nope.js",
    ]) {
      const res = await t.app.inject({ method: "GET", url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
      expect(res.body, url).not.toContain("not an asset");
    }
  });

  it("answers 503 CLIENT_NOT_BUILT, as problem+json, when the client was not built", async () => {
    const res = await unbuilt.app.inject({ method: "GET", url: "/join/K7M2QX" });
    expect(res.statusCode).toBe(503);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.json()).toMatchObject({ code: "CLIENT_NOT_BUILT" });
    expect(unbuilt.logs.lines.some((line) => String(line.msg).includes("not built"))).toBe(true);
  });

  it("tells the sign-in page which methods this server offers", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/sign-in/methods" });
    expect(res.json()).toEqual({ providers: [], devSignIn: true });
    const withProviders = await createTestApp({
      env: {
        GOOGLE_CLIENT_ID: "id",
        GOOGLE_CLIENT_SECRET: "secret",
        GITHUB_CLIENT_ID: "id",
        GITHUB_CLIENT_SECRET: "secret",
      },
      database: t.db as never,
    });
    try {
      const answer = await withProviders.app.inject({ method: "GET", url: "/api/sign-in/methods" });
      expect(answer.json()).toEqual({ providers: ["google", "github"], devSignIn: false });
    } finally {
      await withProviders.app.close();
    }
  });
});
