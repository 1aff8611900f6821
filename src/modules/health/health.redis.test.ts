import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { freePort } from "../../../test/helpers/ports.js";
import { createRedis } from "../../db/redis.js";

describe("health with Redis configured", () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("is 503 with the Redis check down when Redis is unreachable, the database still up", async () => {
    const redis = createRedis(`redis://127.0.0.1:${await freePort()}`, pino({ level: "silent" }));
    try {
      t = await createTestApp({ redis, env: { HEALTH_CHECK_TIMEOUT_MS: "1000" } });
      const res = await t.app.inject({ method: "GET", url: "/api/health" });
      expect(res.statusCode).toBe(503);
      const body = res.json();
      expect(body.checks.database.status).toBe("up");
      expect(body.checks.redis.status).toBe("down");
    } finally {
      redis.disconnect();
    }
  });

  // CI runs this against the machine's Redis (REDIS_URL); a laptop without Redis has nothing to check it with.
  it.runIf(process.env.REDIS_URL)("reports Redis up with its latency", async () => {
    const redis = createRedis(process.env.REDIS_URL as string, pino({ level: "silent" }));
    try {
      await new Promise((resolve) => redis.once("ready", resolve));
      t = await createTestApp({ redis });
      const res = await t.app.inject({ method: "GET", url: "/api/health" });
      expect(res.statusCode).toBe(200);
      expect(res.json().checks.redis).toMatchObject({ status: "up", latencyMs: expect.any(Number) });
    } finally {
      redis.disconnect();
    }
  });
});
