import { randomBytes } from "node:crypto";
import type { Command, Redis } from "ioredis";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, STORES, type TestApp } from "../../test/helpers/app.js";
import { createAttendee, createSession, signIn, trustedOrigin } from "../../test/helpers/actors.js";
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

  /** A sign-in from an address of its own: the per-address sign-in limit is shared through Redis. */
  const signInFresh = (t: TestApp, name: string) =>
    signIn(t.app, t.db.db, name, undefined, `10.6.${randomBytes(1)[0]}.${randomBytes(1)[0]}`);

  const me = (t: TestApp, headers: Record<string, string>, ip = "10.4.0.1") =>
    t.app.inject({ method: "GET", url: "/api/me", headers, remoteAddress: ip });

  /** What the instance asks Redis from now on, up to its first answer: what it asks together. */
  function askedTogether(redis: Redis): () => string[] {
    // The three one after another would interleave ask, answer, ask, answer.
    const events: string[] = [];
    const sendCommand = redis.sendCommand.bind(redis);
    redis.sendCommand = ((command: Command, stream?: never) => {
      const key = command.args.find((arg) => typeof arg === "string" && arg.startsWith("podium:"));
      events.push(`${command.name} ${String(key)}`);
      const resolve = command.resolve;
      command.resolve = (value) => {
        events.push("answer");
        resolve(value);
      };
      return sendCommand(command, stream);
    }) as typeof sendCommand;
    return () => events.slice(0, events.indexOf("answer"));
  }

  it.runIf(process.env.REDIS_URL)(
    "asks Redis for the address limit first, then the auth generation and the user's limit, before the first answer",
    async () => {
      const { t, redis } = await app({}, process.env.REDIS_URL);
      const user = await signInFresh(t, "Early Bird");
      const headers = { authorization: `Bearer ${user.token}` };
      expect((await me(t, headers)).statusCode).toBe(200); // read once: now the instance knows the token

      const asked = askedTogether(redis!);
      const res = await me(t, headers, "10.4.0.2");
      // The address first: its ask leaves in the first hook of ours, before authentication starts.
      expect(asked()).toEqual([
        "evalsha podium:rl:group:address:{10.4.0.2}",
        "get podium:auth:generation",
        `evalsha podium:rl:limiter:{user:${user.userId}}`,
      ]);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().user.id).toBe(user.userId);
    },
  );

  it.runIf(process.env.REDIS_URL)(
    "asks for an attendee's address limit first, then its allowance (its limit on the ask route), before the first answer",
    async () => {
      const { t, redis } = await app({}, process.env.REDIS_URL);
      const host = await signInFresh(t, "Early Host");
      const sessionId = await createSession(t.db.db, {
        userId: host.userId,
        workspaceId: host.personalWorkspaceId,
      });
      const attendee = await createAttendee(t.app, t.db.db, sessionId, "Quick");
      const asked = askedTogether(redis!);
      const res = await t.app.inject({
        method: "POST",
        url: `/api/sessions/${sessionId}/questions`,
        remoteAddress: "10.4.0.3",
        headers: { authorization: `Bearer ${attendee.token}` },
        payload: { text: "Is there a recording of this talk?" },
      });
      // The address first, then the allowance (asked in the route's own hook); no per-actor limit on this route.
      expect(asked()).toEqual([
        "evalsha podium:rl:group:address:{10.4.0.3}",
        `evalsha podium:rl:qa-ask:${attendee.attendeeId}`,
      ]);
      expect(res.statusCode, res.body).toBe(201);
    },
  );

  it.each(STORES)("refuses a signed-out token the instance still remembers, %s", async (_label, url) => {
    const { t } = await app({}, url);
    const user = await signInFresh(t, "Leaving Early");
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
    const user = await signInFresh(t, "Counted Once");
    const headers = { authorization: `Bearer ${user.token}` };
    // The first request reads the session; the next ones start early. Each is counted once: the fourth is over.
    const statuses = [];
    for (const ip of ["10.5.0.1", "10.5.0.2", "10.5.0.3", "10.5.0.4"])
      statuses.push((await me(t, headers, ip)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
