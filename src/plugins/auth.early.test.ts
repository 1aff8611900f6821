import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createTestApp, STORES, type TestApp } from "../../test/helpers/app.js";
import { createAttendee, createSession, signIn, trustedOrigin } from "../../test/helpers/actors.js";
import { failAfter, holdAnswers } from "../../test/helpers/redis-gate.js";
import { createRedis } from "../db/redis.js";

/**
 * A session token this instance has read before starts its authentication in onRequest, and its user's rate
 * limit with it. With Redis, the instance holds the auth generation (told of changes on a channel) and admits
 * hits its limits heard room for ahead of Redis's count: such a request does not wait for Redis at all. The
 * guess is only a head start: authentication still decides.
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

  it.runIf(process.env.REDIS_URL)(
    "answers a user it has read before without waiting for Redis: limits heard of, the auth generation held",
    async () => {
      const { t, redis } = await app({}, process.env.REDIS_URL);
      const user = await signInFresh(t, "Early Bird");
      const headers = { authorization: `Bearer ${user.token}` };
      // Read once (now the instance knows the token and has heard of the user's limit), and the generation held.
      await vi.waitFor(async () => {
        const gate = holdAnswers(redis!);
        const res = await me(t, headers);
        gate.release();
        expect(res.statusCode).toBe(200);
        expect(gate.sent).not.toContain("get podium:auth:generation");
      });

      const gate = holdAnswers(redis!);
      const res = await Promise.race([me(t, headers, "10.4.0.2"), failAfter(3_000, "GET /api/me")]);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().user.id).toBe(user.userId);
      gate.release();
      // Both limits were still counted: the new address, then the user. (Anything else sent meanwhile, such as
      // the generation's periodic check, was not waited for either: the response came with every answer held.)
      expect(gate.sent.filter((command) => command.includes(":rl:"))).toEqual([
        "evalsha podium:rl:group:address:{10.4.0.2}",
        `evalsha podium:rl:limiter:{user:${user.userId}}`,
      ]);
    },
  );

  it.runIf(process.env.REDIS_URL)(
    "takes an attendee's first ask without waiting for Redis, and counts its address and its allowance",
    async () => {
      const { t, redis } = await app({}, process.env.REDIS_URL);
      const host = await signInFresh(t, "Early Host");
      const sessionId = await createSession(t.db.db, {
        userId: host.userId,
        workspaceId: host.personalWorkspaceId,
      });
      const attendee = await createAttendee(t.app, t.db.db, sessionId, "Quick");
      const gate = holdAnswers(redis!);
      const res = await Promise.race([
        t.app.inject({
          method: "POST",
          url: `/api/sessions/${sessionId}/questions`,
          remoteAddress: "10.4.0.3",
          headers: { authorization: `Bearer ${attendee.token}` },
          payload: { text: "Is there a recording of this talk?" },
        }),
        failAfter(3_000, "the ask"),
      ]);
      expect(res.statusCode, res.body).toBe(201);
      gate.release();
      expect(gate.sent.filter((command) => command.includes(":rl:"))).toEqual([
        "evalsha podium:rl:group:address:{10.4.0.3}",
        // rate-limiter-flexible's own key, not ours: counted all the same.
        expect.stringMatching(/^evalsha /),
      ]);
      const counted = await redis!.keys(`*qa-ask*${attendee.attendeeId}*`);
      expect(counted).toHaveLength(1);
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
