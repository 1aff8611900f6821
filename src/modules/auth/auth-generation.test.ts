import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { holdAnswers } from "../../../test/helpers/redis-gate.js";
import { createRedis } from "../../db/redis.js";
import { createAuthGeneration, type AuthGeneration } from "./auth-generation.js";

const REDIS_URL = process.env.REDIS_URL;
const silent = pino({ level: "silent" });

describe("auth generation in memory", () => {
  it("moves on with every bump", async () => {
    const generation = createAuthGeneration();
    const before = await generation.current();
    await generation.bump();
    expect(await generation.current()).not.toBe(before);
  });
});

describe.runIf(REDIS_URL)("auth generation shared through Redis", () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function connect(name: string): Promise<Redis> {
    const redis = createRedis(REDIS_URL!, silent, name);
    cleanups.push(async () => redis.disconnect());
    await new Promise((resolve) => redis.once("ready", resolve));
    return redis;
  }

  /** Two instances on one key and channel of their own; each instance's subscriber is returned for the test. */
  async function twoInstances(checkIntervalMs = 60_000) {
    const key = `podium:test:auth-generation:${randomUUID()}`;
    const instance = async (name: string) => {
      const redis = await connect(name);
      let subscriber: Redis | undefined;
      const generation = createAuthGeneration({
        redis,
        key,
        channel: key,
        checkIntervalMs,
        createSubscriber: () => (subscriber = redis.duplicate()),
      });
      cleanups.push(() => generation.close());
      await heldBy(redis, generation);
      return { redis, generation, subscriber: subscriber! };
    };
    return { key, a: await instance("gen-a"), b: await instance("gen-b") };
  }

  /** Waits until the instance answers from what it holds: nothing asked of Redis. */
  async function heldBy(redis: Redis, generation: AuthGeneration) {
    await vi.waitFor(async () => {
      const gate = holdAnswers(redis);
      const value = generation.current();
      gate.release();
      await value;
      expect(gate.sent).toEqual([]);
    });
  }

  it("answers without asking Redis once subscribed, and hears another instance's bump", async () => {
    const { a, b } = await twoInstances();
    const before = await b.generation.current();
    expect(await a.generation.current()).toBe(before);

    await a.generation.bump();
    // The bumping instance reads until its own message is back: its sign-out is final there at once.
    expect(await a.generation.current()).not.toBe(before);
    await vi.waitFor(async () => expect(await b.generation.current()).not.toBe(before));
    const after = await b.generation.current();
    expect(await a.generation.current()).toBe(after);
    await heldBy(b.redis, b.generation);
  });

  it("reads the key on every use while its subscription is down, and holds it again once back", async () => {
    const { key, b } = await twoInstances();
    // A connection lost (ioredis reconnects): what is published meanwhile would be lost.
    b.subscriber.stream.destroy();
    await vi.waitFor(() => expect(b.subscriber.status).not.toBe("ready"));
    // A change nobody was told of: an instance that is not subscribed must see it anyway.
    await b.redis.set(key, "changed-behind-its-back");
    expect(await b.generation.current()).toBe("changed-behind-its-back");
    await heldBy(b.redis, b.generation);
    expect(await b.generation.current()).toBe("changed-behind-its-back");
  });

  it("reads the key again every checkIntervalMs, so a message lost while subscribed is not missed for long", async () => {
    const { key, b } = await twoInstances(50);
    await b.redis.set(key, "published-nowhere");
    await vi.waitFor(async () => expect(await b.generation.current()).toBe("published-nowhere"));
  });
});
