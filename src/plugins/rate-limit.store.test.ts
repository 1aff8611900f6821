import { randomUUID } from "node:crypto";
import rateLimit, { type RateLimitPluginOptions } from "@fastify/rate-limit";
import Fastify, { type FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../test/helpers/ports.js";
import { failAfter, holdAnswers } from "../../test/helpers/redis-gate.js";
import { createRedis } from "../db/redis.js";
import {
  createSlidingWindowStore,
  type RateLimitCount,
  type SlidingWindowStore,
  type SlidingWindowStoreCtor,
} from "./rate-limit.store.js";

const WINDOW = 60_000;
// The start of a window, so a test's offsets read as "elapsed in this window".
const T0 = 1_000 * WINDOW;
const REDIS_URL = process.env.REDIS_URL;
const silent = pino({ level: "silent" });

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function fakeClock() {
  let time = T0;
  return { now: () => time, set: (ms: number) => void (time = ms) };
}

const uniquePrefix = () => `podium:test:rate-limit:${randomUUID()}:`;

async function connectRedis(url = REDIS_URL as string): Promise<Redis> {
  const redis = createRedis(url, silent, "podium-rate-limit-test");
  cleanups.push(() => redis.disconnect());
  await new Promise((resolve) => redis.once("ready", resolve));
  return redis;
}

async function buildApp(store: SlidingWindowStoreCtor, options: Partial<RateLimitPluginOptions> = {}) {
  const app = Fastify();
  cleanups.push(() => app.close());
  await app.register(rateLimit, {
    store,
    max: 4,
    timeWindow: WINDOW,
    hook: "onRequest",
    skipOnError: true,
    ...options,
  });
  const routeLimit = (groupId?: string) => ({
    config: { rateLimit: { max: 2, timeWindow: WINDOW, groupId } },
  });
  app.get("/ping", async () => "pong");
  app.get("/a", routeLimit(), async () => "a");
  app.get("/b", routeLimit(), async () => "b");
  app.get("/otp/send", routeLimit("otp"), async () => "sent");
  app.get("/otp/resend", routeLimit("otp"), async () => "resent");
  await app.ready();
  return app;
}

const get = (app: FastifyInstance, url = "/ping", ip = "10.0.0.1") =>
  app.inject({ method: "GET", url, remoteAddress: ip });

async function statuses(app: FastifyInstance, count: number, url = "/ping", ip = "10.0.0.1") {
  const codes: number[] = [];
  for (let i = 0; i < count; i++) codes.push((await get(app, url, ip)).statusCode);
  return codes;
}

function call(store: SlidingWindowStore, method: "incr" | "read", key: string, max: number) {
  return new Promise<RateLimitCount | undefined>((resolve, reject) =>
    store[method](key, (error, result) => (error ? reject(error) : resolve(result)), WINDOW, max),
  );
}

const backends = [
  { name: "memory", enabled: true, store: async (now?: () => number) => createSlidingWindowStore({ now }) },
  {
    name: "Redis",
    // CI runs these against the machine's Redis (REDIS_URL); a laptop without Redis still runs the memory ones.
    enabled: Boolean(REDIS_URL),
    store: async (now?: () => number) =>
      createSlidingWindowStore({ redis: await connectRedis(), prefix: uniquePrefix(), now }),
  },
];

for (const backend of backends) {
  describe.runIf(backend.enabled)(`sliding-window ${backend.name} store`, () => {
    it("admits max hits in a window, then answers 429 with Retry-After and the rate-limit headers", async () => {
      const clock = fakeClock();
      const app = await buildApp(await backend.store(clock.now));

      const admitted = [];
      for (let i = 0; i < 4; i++) admitted.push(await get(app));
      expect(admitted.map((res) => res.statusCode)).toEqual([200, 200, 200, 200]);
      expect(admitted.map((res) => res.headers["x-ratelimit-remaining"])).toEqual(["3", "2", "1", "0"]);
      expect(admitted[0]?.headers).toMatchObject({ "x-ratelimit-limit": "4", "x-ratelimit-reset": "60" });

      const refused = await get(app);
      expect(refused.statusCode).toBe(429);
      // This window alone is full: 60 s to its end, then 15 s more until 4 hits fading over 60 s weigh 3.
      expect(refused.headers).toMatchObject({
        "retry-after": "75",
        "x-ratelimit-limit": "4",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": "75",
      });

      clock.set(T0 + 75_000 - 1);
      const early = await get(app);
      expect(early.statusCode).toBe(429);
      expect(early.headers["retry-after"]).toBe("1");
      clock.set(T0 + 75_000);
      expect((await get(app)).statusCode).toBe(200);
    });

    it("does not let a burst at a window's end double at the next one's start; half still counts halfway", async () => {
      const clock = fakeClock();
      const app = await buildApp(await backend.store(clock.now), { max: 10 });

      clock.set(T0 + WINDOW - 1);
      expect(await statuses(app, 11)).toEqual([...Array(10).fill(200), 429]);

      // A fixed window would start over here with 10 fresh hits.
      clock.set(T0 + WINDOW);
      const atStart = await get(app);
      expect(atStart.statusCode).toBe(429);
      expect(atStart.headers["retry-after"]).toBe("6"); // 10 hits fading to 9 take a tenth of the window

      clock.set(T0 + WINDOW + WINDOW / 2);
      const halfway = await get(app);
      expect(halfway.statusCode).toBe(200);
      expect(halfway.headers["x-ratelimit-remaining"]).toBe("4"); // 10 × 0.5 + 1
      expect(await statuses(app, 5)).toEqual([200, 200, 200, 200, 429]);
    });

    it("counts admitted hits only, so retries while refused do not push Retry-After back; read counts nothing", async () => {
      const clock = fakeClock();
      const Store = await backend.store(clock.now);
      const store = new Store();

      expect(await call(store, "incr", "k", 2)).toEqual({ current: 1, ttl: WINDOW });
      expect(await call(store, "read", "k", 2)).toEqual({ current: 1, ttl: WINDOW });
      expect(await call(store, "incr", "k", 2)).toEqual({ current: 2, ttl: WINDOW });
      // Refusals report max + the refusals so far (the plugin's `ban`), and the wait until a hit fits.
      expect(await call(store, "incr", "k", 2)).toEqual({ current: 3, ttl: 90_000 });
      expect(await call(store, "incr", "k", 2)).toEqual({ current: 4, ttl: 90_000 });

      clock.set(T0 + 50_000);
      for (let i = 0; i < 5; i++) expect((await call(store, "incr", "k", 2))?.ttl).toBe(40_000);
      clock.set(T0 + 90_000);
      expect(await call(store, "read", "k", 2)).toEqual({ current: 1, ttl: 30_000 });
      expect(await call(store, "incr", "k", 2)).toEqual({ current: 2, ttl: 30_000 });
    });

    it("answers 403 once a client has been refused more than `ban` times", async () => {
      const app = await buildApp(await backend.store(fakeClock().now), { max: 2, ban: 1 });
      expect(await statuses(app, 5)).toEqual([200, 200, 429, 403, 403]);
    });

    it("keeps clients apart, and route limits apart from each other unless they share a groupId", async () => {
      const app = await buildApp(await backend.store(fakeClock().now));

      expect(await statuses(app, 5, "/ping", "10.0.0.1")).toEqual([200, 200, 200, 200, 429]);
      expect(await statuses(app, 1, "/ping", "10.0.0.2")).toEqual([200]);

      expect(await statuses(app, 3, "/a")).toEqual([200, 200, 429]);
      expect(await statuses(app, 1, "/b")).toEqual([200]);

      expect(await statuses(app, 2, "/otp/send")).toEqual([200, 200]);
      expect(await statuses(app, 1, "/otp/resend")).toEqual([429]);
    });
  });
}

describe("sliding-window memory store", () => {
  it("stays bounded: past the cache size the oldest windows go, and expired windows are swept", async () => {
    const clock = fakeClock();
    const store = new (createSlidingWindowStore({ now: clock.now }))({ cache: 2 });

    await call(store, "incr", "first", 100);
    expect(await call(store, "incr", "first", 100)).toMatchObject({ current: 2 });
    for (const key of ["k2", "k3", "k4", "k5"]) await call(store, "incr", key, 100);
    expect(store.size).toBe(4); // two windows per cached key
    expect(await call(store, "incr", "first", 100)).toMatchObject({ current: 1 });

    clock.set(T0 + 2 * WINDOW);
    await call(store, "incr", "later", 100);
    expect(store.size).toBe(1);
  });

  it("refuses fixed-window options at registration instead of ignoring them", async () => {
    const store = createSlidingWindowStore();
    await expect(buildApp(store, { continueExceeding: true })).rejects.toThrow(/continueExceeding/);
    await expect(buildApp(store, { exponentialBackoff: true })).rejects.toThrow(/exponentialBackoff/);
  });
});

describe.runIf(REDIS_URL)("sliding-window Redis store, admitting ahead of the count", () => {
  it("answers a hit the instance heard room for before Redis answers, and Redis still counts it", async () => {
    const redis = await connectRedis();
    const clock = fakeClock();
    const Store = createSlidingWindowStore({ redis, prefix: uniquePrefix(), now: clock.now });
    const store = new Store();
    expect(await call(store, "incr", "k", 3)).toEqual({ current: 1, ttl: WINDOW });
    await call(store, "read", "k", 3); // in order behind the first hit's count: it has been answered

    const gate = holdAnswers(redis);
    const ahead = await Promise.race([call(store, "incr", "k", 3), failAfter(2_000, "a hit with room")]);
    expect(ahead).toEqual({ current: 2, ttl: WINDOW });
    // The next one waits for Redis (a hit of the key is in flight), and gets the exact answer.
    let third: RateLimitCount | undefined;
    const waiting = call(store, "incr", "k", 3).then((result) => (third = result));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(third).toBeUndefined();
    gate.release();
    expect(await waiting).toEqual({ current: 3, ttl: WINDOW });
    expect(gate.sent).toHaveLength(2);
    // Heard full: the fourth waits, and is refused.
    expect((await call(store, "incr", "k", 3))?.current).toBe(4);
    expect(await call(store, "read", "k", 3)).toEqual({ current: 3, ttl: WINDOW });
  });

  it("counts a hit admitted ahead even where Redis alone would have refused it", async () => {
    const prefix = uniquePrefix();
    const clock = fakeClock();
    const [a, b] = [await connectRedis(), await connectRedis()].map(
      (redis) => new (createSlidingWindowStore({ redis, prefix, now: clock.now }))(),
    ) as [SlidingWindowStore, SlidingWindowStore];
    expect((await call(a, "incr", "k", 2))?.current).toBe(1);
    await call(a, "read", "k", 2);
    // b spends the room a heard of; a's next hit goes ahead on what it heard, and is counted.
    await call(b, "incr", "k", 2);
    expect(await call(b, "read", "k", 2)).toEqual({ current: 2, ttl: WINDOW });
    expect(await call(a, "incr", "k", 2)).toEqual({ current: 2, ttl: WINDOW });
    expect(await call(a, "read", "k", 2)).toEqual({ current: 3, ttl: WINDOW });
    // Both have now heard it is full: neither admits another.
    expect((await call(a, "incr", "k", 2))?.current).toBeGreaterThan(2);
    expect((await call(b, "incr", "k", 2))?.current).toBeGreaterThan(2);
  });
});

describe("sliding-window Redis store during a Redis outage", () => {
  it("passes the error on, so skipOnError lets requests through (fail open) and without it they fail", async () => {
    const redis = createRedis(`redis://127.0.0.1:${await freePort()}`, silent);
    cleanups.push(() => redis.disconnect());
    const store = createSlidingWindowStore({ redis, prefix: uniquePrefix() });

    expect(await statuses(await buildApp(store), 6)).toEqual(Array(6).fill(200));
    expect(await statuses(await buildApp(store, { skipOnError: false }), 1)).toEqual([500]);
  });

  it.runIf(REDIS_URL)("lets a limited client through once the connection drops", async () => {
    const redis = await connectRedis();
    const app = await buildApp(createSlidingWindowStore({ redis, prefix: uniquePrefix() }), { max: 2 });
    expect(await statuses(app, 3)).toEqual([200, 200, 429]);

    redis.disconnect();
    expect(await statuses(app, 2)).toEqual([200, 200]);
  });
});

describe.runIf(REDIS_URL)("sliding-window Redis store shared by two instances", () => {
  // No injected clock: the script reads the Redis server's clock, which both instances share.
  async function twoInstances(max: number) {
    const prefix = uniquePrefix();
    const build = async () =>
      buildApp(createSlidingWindowStore({ redis: await connectRedis(), prefix }), { max });
    return [await build(), await build()] as const;
  }

  it("counts hits on either instance against one limit, exceeded by at most one hit an instance heard room for", async () => {
    const [a, b] = await twoInstances(5);
    expect(await statuses(a, 3)).toEqual([200, 200, 200]);
    expect(await statuses(b, 3)).toEqual([200, 200, 429]);
    // a last heard 3 of 5: its next hit may go ahead of the count (and is counted); after that it knows.
    const next = await statuses(a, 2);
    expect([
      [200, 429],
      [429, 429],
    ]).toContainEqual(next);
  });

  it("admits max, and at most one more per instance, of many concurrent hits spread over both instances", async () => {
    const [a, b] = await twoInstances(5);
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => get(i % 2 ? a : b)));
    const admitted = responses.filter((res) => res.statusCode === 200).length;
    expect(admitted).toBeGreaterThanOrEqual(5);
    expect(admitted).toBeLessThanOrEqual(7);
    expect(responses.filter((res) => res.statusCode === 429)).toHaveLength(20 - admitted);
  });
});
