import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, STORES, type TestApp } from "../../test/helpers/app.js";
import { createAttendee, createSession, signIn, trustedOrigin } from "../../test/helpers/actors.js";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/database.js";
import { rawRequest } from "../../test/helpers/raw-http.js";
import { createRedis } from "../db/redis.js";

/**
 * The limits as the app applies them: per client address on every route, stricter on sign-in, per actor after
 * authentication; shared through Redis by several instances. The store's sliding window itself is tested in
 * rate-limit.store.test.ts.
 */
describe("rate limits in the app", () => {
  const opened: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const item of opened.splice(0).reverse()) await item.close();
  });

  async function app(
    env: Record<string, string>,
    options: { database?: TestDatabase; redisUrl?: string } = {},
  ) {
    const redis = options.redisUrl ? createRedis(options.redisUrl, pino({ level: "silent" })) : undefined;
    const t: TestApp = await createTestApp({ env, database: options.database, redis });
    opened.push({
      close: async () => {
        await t.close();
        await redis?.quit();
      },
    });
    return t;
  }

  /** An address no other test run uses (counters in Redis outlive a run). */
  const freshAddress = (prefix: string) => `${prefix}.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;

  function get(t: TestApp, url: string, ip: string, headers: Record<string, string> = {}) {
    return t.app.inject({ method: "GET", url, remoteAddress: ip, headers });
  }

  it("limits each client address and answers 429 problem+json with Retry-After and RateLimit headers", async () => {
    const t = await app({ RATE_LIMIT_IP_MAX: "3" });
    for (let i = 0; i < 3; i++) {
      const res = await get(t, "/api/me", "10.0.0.1");
      expect(res.statusCode).toBe(401);
      expect(res.headers["ratelimit-limit"]).toBe("3");
      expect(res.headers["ratelimit-remaining"]).toBe(String(2 - i));
    }
    const limited = await get(t, "/api/me", "10.0.0.1");
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["content-type"]).toContain("application/problem+json");
    expect(limited.json()).toMatchObject({ status: 429, code: "RATE_LIMITED" });
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(limited.headers["ratelimit-remaining"]).toBe("0");
    // Another address is not affected, and health probes are never limited.
    expect((await get(t, "/api/me", "10.0.0.2")).statusCode).toBe(401);
    expect((await get(t, "/api/health/live", "10.0.0.1")).statusCode).toBe(200);
  });

  it("counts the address the trusted proxy saw, not one the client wrote into X-Forwarded-For", async () => {
    const t = await app({ RATE_LIMIT_IP_MAX: "2", TRUST_PROXY: "1" });
    const statuses = [];
    for (const spoofed of ["1.1.1.1", "2.2.2.2", "3.3.3.3"]) {
      const res = await get(t, "/api/me", "127.0.0.1", { "x-forwarded-for": `${spoofed}, 9.9.9.9` });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 429]);
    // Another client behind the same proxy has its own count.
    expect((await get(t, "/api/me", "127.0.0.1", { "x-forwarded-for": "9.9.9.10" })).statusCode).toBe(401);
  });

  it("counts an IPv6 client per /64, and an IPv4-mapped address as the IPv4 one", async () => {
    const t = await app({ RATE_LIMIT_IP_MAX: "2" });
    // Two addresses of one /64: one client, which could otherwise take a fresh address for every request.
    expect((await get(t, "/api/me", "2001:db8:1:2::a")).statusCode).toBe(401);
    expect((await get(t, "/api/me", "2001:db8:1:2::b")).statusCode).toBe(401);
    const walked = await get(t, "/api/me", "2001:db8:1:2:ffff::c");
    expect(walked.statusCode).toBe(429);
    expect(walked.json()).toMatchObject({ code: "RATE_LIMITED" });
    expect((await get(t, "/api/me", "2001:db8:1:3::a")).statusCode).toBe(401); // the next /64
    // A dual-stack socket reports an IPv4 client as ::ffff:a.b.c.d: still the same client.
    expect((await get(t, "/api/me", "10.3.0.1")).statusCode).toBe(401);
    expect((await get(t, "/api/me", "::ffff:10.3.0.1")).statusCode).toBe(401);
    expect((await get(t, "/api/me", "10.3.0.1")).statusCode).toBe(429);
  });

  it("answers a route's own limit (the join-code lookup) in the same shape, and not also the address limit", async () => {
    const t = await app({ RATE_LIMIT_JOIN_LOOKUP_MAX: "1", RATE_LIMIT_IP_MAX: "1" });
    const lookup = () => get(t, "/api/join/NOPE1234", "10.3.1.1");
    const first = await lookup();
    expect(first.statusCode).not.toBe(429);
    expect(first.headers["ratelimit-limit"]).toBe("1");
    const second = await lookup();
    expect(second.statusCode).toBe(429);
    expect(second.json()).toMatchObject({ status: 429, code: "RATE_LIMITED" });
    expect(second.json().detail).toMatch(/^Too many requests; retry in \d+ seconds\.$/);
    expect(Number(second.headers["retry-after"])).toBeGreaterThan(0);
    // The lookups did not spend the address's allowance for the rest of the API.
    expect((await get(t, "/api/me", "10.3.1.1")).statusCode).toBe(401);
  });

  it("is stricter on sign-in routes than elsewhere", async () => {
    const t = await app({ RATE_LIMIT_SIGN_IN_MAX: "2", RATE_LIMIT_IP_MAX: "100" });
    // 127.0.0.1: the address of the raw-socket request below.
    const signInOnce = () =>
      t.app.inject({
        method: "POST",
        url: "/api/auth/dev/sign-in",
        remoteAddress: "127.0.0.1",
        headers: { origin: trustedOrigin(t.app) },
        payload: { name: "Rate", email: `rate.${randomBytes(3).toString("hex")}@example.test` },
      });
    expect((await signInOnce()).statusCode).toBe(200);
    expect((await signInOnce()).statusCode).toBe(200);
    const third = await signInOnce();
    expect(third.statusCode).toBe(429);
    expect(third.json()).toMatchObject({ code: "RATE_LIMITED" });
    // A dot segment does not turn a sign-in into "another route" with the looser limit.
    const sneaky = await rawRequest(t.app, {
      method: "POST",
      path: "/api/auth/x/../dev/sign-in",
      headers: { origin: trustedOrigin(t.app) },
      body: { name: "Rate", email: "sneaky@example.test" },
    });
    expect(sneaky.status).toBe(429);
    // The same address may still use the rest of the API.
    expect((await get(t, "/api/health/ready", "127.0.0.1")).statusCode).toBe(200);
    expect((await get(t, "/api/me", "127.0.0.1")).statusCode).toBe(401);
  });

  it("limits a signed-in user across addresses", async () => {
    const t = await app({ RATE_LIMIT_ACTOR_MAX: "3", RATE_LIMIT_IP_MAX: "100" });
    const user = await signIn(t.app, t.db.db, "Roaming");
    const headers = { authorization: `Bearer ${user.token}` };
    for (const ip of ["10.1.0.1", "10.1.0.2", "10.1.0.3"]) {
      expect((await get(t, "/api/me", ip, headers)).statusCode).toBe(200);
    }
    const fourth = await get(t, "/api/me", "10.1.0.4", headers);
    expect(fourth.statusCode).toBe(429);
    expect(fourth.headers["retry-after"]).toBeDefined();
    // Someone else from the same address is not limited by that user's use.
    const other = await signIn(t.app, t.db.db, "Neighbour");
    expect((await get(t, "/api/me", "10.1.0.4", { authorization: `Bearer ${other.token}` })).statusCode).toBe(
      200,
    );
  });

  it.runIf(process.env.REDIS_URL)("shares one limit between two instances through Redis", async () => {
    const database = await createTestDatabase();
    opened.push({ close: () => database.drop() });
    // A fresh address per run: the counters live in the shared Redis.
    const ip = `10.9.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
    const env = { RATE_LIMIT_IP_MAX: "5" };
    const a = await app(env, { database, redisUrl: process.env.REDIS_URL });
    const b = await app(env, { database, redisUrl: process.env.REDIS_URL });
    const statuses = [];
    for (const t of [a, a, a, b, b]) statuses.push((await get(t, "/api/me", ip)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expect((await get(b, "/api/me", ip)).statusCode).toBe(429);
    // a last heard room: one hit of it may go ahead of the count (counted all the same), then it knows.
    const late = [];
    for (const t of [a, a]) late.push((await get(t, "/api/me", ip)).statusCode);
    expect([
      [401, 429],
      [429, 429],
    ]).toContainEqual(late);
    expect((await get(b, "/api/me", ip)).statusCode).toBe(429);
  });

  it.runIf(process.env.REDIS_URL)(
    "shares a user's limit between two instances, and its session",
    async () => {
      const database = await createTestDatabase();
      opened.push({ close: () => database.drop() });
      const env = { RATE_LIMIT_ACTOR_MAX: "4", RATE_LIMIT_IP_MAX: "100" };
      const a = await app(env, { database, redisUrl: process.env.REDIS_URL });
      const b = await app(env, { database, redisUrl: process.env.REDIS_URL });
      const user = await signIn(a.app, database.db, "Twin");
      const headers = { authorization: `Bearer ${user.token}` };
      const statuses = [];
      for (const t of [a, b, a, b, b])
        statuses.push((await get(t, "/api/me", "10.2.0.1", headers)).statusCode);
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
    },
  );

  /** A live session with one attendee, and that attendee's asks from a fresh address. */
  async function asking(t: TestApp) {
    // Signed in from an address of its own: the sign-in limit per address is shared by every test through Redis.
    const host = await signIn(t.app, t.db.db, "Limit Host", undefined, freshAddress("10.8"));
    const sessionId = await createSession(t.db.db, {
      userId: host.userId,
      workspaceId: host.personalWorkspaceId,
    });
    const attendee = await createAttendee(t.app, t.db.db, sessionId, "Eager");
    const ip = freshAddress("10.7");
    const headers = { authorization: `Bearer ${attendee.token}` };
    /** `headers` instead of the attendee's; `raw`: `text` is the whole body, sent as JSON. */
    const ask = (text: string, options: { headers?: Record<string, string>; raw?: boolean } = {}) =>
      t.app.inject({
        method: "POST",
        url: `/api/sessions/${sessionId}/questions`,
        remoteAddress: ip,
        headers: { "content-type": "application/json", ...(options.headers ?? headers) },
        payload: options.raw ? text : JSON.stringify({ text }),
      });
    const stored = async () =>
      (
        await t.db.pool.query<{ n: number }>(
          "select count(*)::int as n from questions where session_id = $1",
          [sessionId],
        )
      ).rows[0]!.n;
    return {
      sessionId,
      ask,
      stored,
      list: () => get(t, `/api/sessions/${sessionId}/questions`, ip, headers),
      /** Turns the session's Q&A on or off, as a host's settings change would (the version moves on). */
      qa: (enabled: boolean) =>
        t.db.pool.query(
          `update sessions set settings = jsonb_set(settings, '{qa}', $2::jsonb), version = version + 1
           where id = $1`,
          [sessionId, JSON.stringify({ enabled })],
        ),
    };
  }

  it.each(STORES)(
    "limits an attendee's asks by its questions-per-minute allowance, not also by its per-actor limit, %s",
    async (_label, url) => {
      const t = await app({ RATE_LIMIT_ACTOR_MAX: "2", QA_QUESTIONS_PER_MINUTE: "3" }, { redisUrl: url });
      const { ask, list, stored } = await asking(t);
      for (const text of [
        "When does the workshop start tomorrow?",
        "Is lunch included in the ticket price?",
        "Are the talks being recorded for later?",
      ])
        expect((await ask(text)).statusCode).toBe(201);
      // The asks left the attendee's per-actor budget whole: its other requests are counted there, as before.
      expect((await list()).statusCode).toBe(200);
      expect((await list()).statusCode).toBe(200);
      const limited = await ask("Where can we find the slides afterwards?");
      expect(limited.statusCode, limited.body).toBe(429);
      expect(limited.json()).toMatchObject({ code: "RATE_LIMITED" });
      expect(limited.headers["retry-after"]).toBeDefined();
      expect(await stored()).toBe(3);
      const over = await list();
      expect(over.statusCode).toBe(429);
      expect(over.headers["ratelimit-remaining"]).toBe("0");
    },
  );

  it.each(STORES)(
    "counts an attendee's asks that are not made against its per-actor limit, %s",
    async (_label, url) => {
      const t = await app({ RATE_LIMIT_ACTOR_MAX: "2", QA_QUESTIONS_PER_MINUTE: "100" }, { redisUrl: url });
      const { ask, stored, qa } = await asking(t);
      await qa(false);
      // Q&A closed: the allowance is given back, so these count per actor instead, and the third is over.
      for (const text of ["Can we ask yet, please?", "Is the Q&A open now?"])
        expect((await ask(text)).json()).toMatchObject({ code: "QA_CLOSED" });
      const over = await ask("How about now then?");
      expect(over.statusCode, over.body).toBe(429);
      expect(over.json()).toMatchObject({ code: "RATE_LIMITED" });
      expect(over.headers["ratelimit-remaining"]).toBe("0");
      // An ask made is limited by the allowance alone.
      await qa(true);
      expect((await ask("When does the workshop start tomorrow?")).statusCode).toBe(201);
      expect(await stored()).toBe(1);
    },
  );

  it.each(STORES)(
    "counts any other actor's requests to the ask route against its per-actor limit, %s",
    async (_label, url) => {
      const t = await app({ RATE_LIMIT_ACTOR_MAX: "2" }, { redisUrl: url });
      const { sessionId } = await asking(t);
      const user = await signIn(t.app, t.db.db, "Not An Attendee", undefined, freshAddress("10.8"));
      const ask = () =>
        t.app.inject({
          method: "POST",
          url: `/api/sessions/${sessionId}/questions`,
          remoteAddress: freshAddress("10.7"),
          headers: { authorization: `Bearer ${user.token}` },
          payload: { text: "May someone else ask here?" },
        });
      // Only attendees ask: a user who is none of the session's hears of no such session.
      expect((await ask()).json()).toMatchObject({ code: "SESSION_NOT_FOUND" });
      expect((await ask()).json()).toMatchObject({ code: "SESSION_NOT_FOUND" });
      const over = await ask();
      expect(over.statusCode, over.body).toBe(429);
      expect(over.json()).toMatchObject({ code: "RATE_LIMITED" });
    },
  );

  it.each(STORES)(
    "gives back the questions-per-minute allowance counted early for asks refused while Q&A is closed, %s",
    async (_label, url) => {
      const t = await app({ QA_QUESTIONS_PER_MINUTE: "2" }, { redisUrl: url });
      const { ask, stored, qa } = await asking(t);
      await qa(false);
      for (const text of ["Can we ask yet, please?", "Is the Q&A open now?", "How about now then?"])
        expect((await ask(text)).json()).toMatchObject({ code: "QA_CLOSED" });
      await qa(true);
      expect((await ask("When does the workshop start tomorrow?")).statusCode).toBe(201);
      expect((await ask("Is lunch included in the ticket price?")).statusCode).toBe(201);
      expect((await ask("Are the talks being recorded for later?")).json()).toMatchObject({
        code: "RATE_LIMITED",
      });
      expect(await stored()).toBe(2);
    },
  );

  it.each(STORES)(
    "answers an address over its limit on the ask route before a bad body, a missing credential or a closed Q&A, %s",
    async (_label, url) => {
      const t = await app({ RATE_LIMIT_IP_MAX: "2" }, { redisUrl: url });
      const { sessionId, ask, stored } = await asking(t);
      expect((await ask("When does the workshop start tomorrow?")).statusCode).toBe(201);
      expect((await ask("Is lunch included in the ticket price?")).statusCode).toBe(201);
      // The ask route parses, validates and decides while its limits answer, and waits for them before its write:
      // an ask that would be taken is refused, nothing stored.
      const wouldBeTaken = await ask("Is the venue accessible by train?");
      expect(wouldBeTaken.statusCode, wouldBeTaken.body).toBe(429);
      expect(wouldBeTaken.headers["ratelimit-remaining"]).toBe("0");
      expect(await stored()).toBe(2);
      // Their refusal still comes first.
      await t.db.pool.query(
        "update sessions set status = 'ended', ended_at = now(), version = version + 1 where id = $1",
        [sessionId],
      );
      // Refused by the ask's policy before it awaits the limit: a signed-in user (only attendees ask), and an
      // attendee of another session. Their limit's refusal, left unawaited, must not go unhandled.
      const user = await signIn(t.app, t.db.db, "Not Asking", undefined, freshAddress("10.8"));
      const elsewhere = await createAttendee(
        t.app,
        t.db.db,
        await createSession(t.db.db, { userId: user.userId, workspaceId: user.personalWorkspaceId }),
        "Lost",
      );
      const refusals = await Promise.all([
        ask(""),
        ask("A question without its credential?", { headers: {} }),
        ask("Is anyone still listening here?"),
        ask("{not json", { raw: true }),
        ask("May a presenter ask here?", { headers: { authorization: `Bearer ${user.token}` } }),
        ask("Is this the right room?", { headers: { authorization: `Bearer ${elsewhere.token}` } }),
      ]);
      for (const refused of refusals) {
        expect(refused.statusCode, refused.body).toBe(429);
        expect(refused.json()).toMatchObject({ code: "RATE_LIMITED" });
        expect(refused.headers["retry-after"]).toBeDefined();
      }
      expect(await stored()).toBe(2);
    },
  );

  it.each(STORES)(
    "answers an attendee over its allowance with the limit, before the refusal its ask would otherwise get, %s",
    async (_label, url) => {
      const t = await app({ QA_QUESTIONS_PER_MINUTE: "2" }, { redisUrl: url });
      const { ask, stored } = await asking(t);
      expect((await ask("When does the workshop start tomorrow?")).statusCode).toBe(201);
      expect((await ask("Is there a recording of this talk?")).statusCode).toBe(201);
      // A duplicate (409) and a blank text (400) would be refused on their own; over the allowance, the limit answers.
      for (const text of ["When does the workshop start tomorrow?", "   "]) {
        const over = await ask(text);
        expect(over.statusCode, over.body).toBe(429);
        expect(over.json()).toMatchObject({ code: "RATE_LIMITED" });
      }
      expect(await stored()).toBe(2);
    },
  );
});
