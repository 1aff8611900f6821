import type { Command } from "ioredis";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";
import { signIn, trustedOrigin } from "../../test/helpers/actors.js";
import { createRedis } from "../db/redis.js";

/**
 * A session token this instance has read before starts its authentication in onRequest, and its user's rate
 * limit with it: with Redis, the IP limit, the auth generation and the user's limit are asked together, one
 * round trip instead of three in a row. The guess is only a head start: authentication still decides.
 */
describe("early authentication", () => {
  const opened: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of opened.splice(0).reverse()) await close();
  });

  async function app(env: Record<string, string>, redisUrl?: string) {
    const redis = redisUrl ? createRedis(redisUrl, pino({ level: "silent" })) : undefined;
    const t: TestApp = await createTestApp({ env, redis });
    opened.push(async () => {
      await t.close();
      await redis?.quit();
    });
    return { t, redis };
  }

  const me = (t: TestApp, headers: Record<string, string>, ip = "10.4.0.1") =>
    t.app.inject({ method: "GET", url: "/api/me", headers, remoteAddress: ip });

  it.runIf(process.env.REDIS_URL)(
    "asks Redis for the IP limit, the auth generation and the user's limit before the first answer",
    async () => {
      const { t, redis } = await app({}, process.env.REDIS_URL);
      const user = await signIn(t.app, t.db.db, "Early Bird");
      const headers = { authorization: `Bearer ${user.token}` };
      expect((await me(t, headers)).statusCode).toBe(200); // read once: now the instance knows the token

      // What the instance asks Redis and when the answers come back, in order: the asks made before the first
      // answer were made together (the three one after another would interleave ask, answer, ask, answer).
      const events: string[] = [];
      const sendCommand = redis!.sendCommand.bind(redis);
      redis!.sendCommand = ((command: Command, stream?: never) => {
        const key = command.args.find((arg) => typeof arg === "string" && arg.startsWith("podium:"));
        events.push(`${command.name} ${String(key)}`);
        const resolve = command.resolve;
        command.resolve = (value) => {
          events.push("answer");
          resolve(value);
        };
        return sendCommand(command, stream);
      }) as typeof sendCommand;

      const res = await me(t, headers, "10.4.0.2");
      const asked = events.slice(0, events.indexOf("answer"));
      expect(asked).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^evalsha podium:rl:\{ip:10\.4\.0\.2\}/),
          "get podium:auth:generation",
          expect.stringMatching(new RegExp(`^evalsha podium:rl:limiter:\\{user:${user.userId}\\}`)),
        ]),
      );
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().user.id).toBe(user.userId);
    },
  );

  it.each([
    ["in memory", undefined],
    ["in Redis", process.env.REDIS_URL],
  ])("refuses a signed-out token the instance still remembers, %s", async (label, url) => {
    if (label === "in Redis" && !url) return;
    const { t } = await app({}, url);
    const user = await signIn(t.app, t.db.db, "Leaving Early");
    const headers = { authorization: `Bearer ${user.token}` };
    expect((await me(t, headers)).statusCode).toBe(200);
    const signOut = await t.app.inject({
      method: "POST",
      url: "/api/auth/sign-out",
      headers: { ...headers, origin: trustedOrigin(t.app) },
    });
    expect(signOut.statusCode, signOut.body).toBe(200);
    const after = await me(t, headers);
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe("INVALID_CREDENTIALS");
  });

  it("limits the user the token turns out to be, with the answer asked early", async () => {
    const { t } = await app({ RATE_LIMIT_ACTOR_MAX: "3", RATE_LIMIT_IP_MAX: "100" });
    const user = await signIn(t.app, t.db.db, "Counted Once");
    const headers = { authorization: `Bearer ${user.token}` };
    // The first request reads the session; the next ones start early. Each is counted once: the fourth is over.
    const statuses = [];
    for (const ip of ["10.5.0.1", "10.5.0.2", "10.5.0.3", "10.5.0.4"])
      statuses.push((await me(t, headers, ip)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
