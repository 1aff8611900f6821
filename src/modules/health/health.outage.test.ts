import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { createTestDatabase, type TestDatabase } from "../../../test/helpers/database.js";
import { TcpProxy } from "../../../test/helpers/tcp-proxy.js";
import { createApiKey, signIn } from "../../../test/helpers/actors.js";
import { createDatabase } from "../../db/client.js";

describe("health when the database goes away", () => {
  let real: TestDatabase;
  let proxy: TcpProxy;
  let t: TestApp;
  let viaProxy: ReturnType<typeof createDatabase>;

  beforeAll(async () => {
    real = await createTestDatabase();
    const target = new URL(real.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const proxied = new URL(real.url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(proxy.port);
    viaProxy = createDatabase({
      url: proxied.toString(),
      poolMax: 2,
      statementTimeoutMs: 2_000,
      connectTimeoutMs: 1_000,
    });
    t = await createTestApp({ database: viaProxy, env: { HEALTH_CHECK_TIMEOUT_MS: "1500" } });
  });
  afterAll(async () => {
    await t.close();
    await viaProxy.close();
    await proxy.stop();
    await real.drop();
  });

  it("is 200 while the database answers, 503 once it is gone, and 200 again when it is back", async () => {
    // Credentials made while the database is up, checked while it is down: an outage is a 503, never a
    // "your credential is invalid" (clients would throw a good key away).
    const user = await signIn(t.app, viaProxy.db, "Outage");
    const { key } = await createApiKey(t.app, user, ["sessions:read"]);
    const up = await t.app.inject({ method: "GET", url: "/api/health" });
    expect(up.statusCode).toBe(200);
    expect(up.json().checks.database.status).toBe("up");

    await proxy.stop();

    const down = await t.app.inject({ method: "GET", url: "/api/health" });
    expect(down.statusCode).toBe(503);
    expect(down.headers["content-type"]).toMatch(/^application\/json/);
    const report = down.json();
    expect(report.status).toBe("unavailable");
    expect(report.checks.database.status).toBe("down");
    expect(["unreachable", "timeout"]).toContain(report.checks.database.error);
    expect(down.body).not.toMatch(/127\.0\.0\.1|password|podium:/);

    const ready = await t.app.inject({ method: "GET", url: "/api/health/ready" });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: "not_ready", reason: "dependency_down" });

    for (const headers of [{ "x-api-key": key }, { authorization: `Bearer ${user.token}` }]) {
      const res = await t.app.inject({ method: "GET", url: "/api/me", headers });
      expect(res.statusCode, res.body).toBe(503);
      expect(res.headers["content-type"]).toContain("application/problem+json");
    }

    // The failed queries' parameters (the session token, the key's hash) are not in the log.
    const log = t.logs.raw.join("\n");
    expect(log).toContain("dependency unavailable");
    expect(log).not.toContain(user.token.split(".")[0]);
    expect(log).not.toContain(user.email);

    // Liveness does not depend on the database: the process itself is fine.
    expect((await t.app.inject({ method: "GET", url: "/api/health/live" })).statusCode).toBe(200);

    await proxy.start();
    let recovered = 0;
    for (let attempt = 0; attempt < 20 && recovered !== 200; attempt += 1) {
      recovered = (await t.app.inject({ method: "GET", url: "/api/health" })).statusCode;
      if (recovered !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(recovered).toBe(200);
  });
});
