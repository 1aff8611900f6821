import { randomBytes, randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { eq } from "drizzle-orm";
import type { Redis } from "ioredis";
import { pino, type Logger } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/helpers/database.js";
import { freePort } from "../../../test/helpers/ports.js";
import type { Database } from "../../db/client.js";
import { createRedis } from "../../db/redis.js";
import { attendees, sessions, users, workspaces } from "../../db/schema.js";
import { createAttendeeRevocations, type AttendeeRevocations } from "./attendee-revocations.js";
import { createAttendeeTokens } from "./attendee-token.js";

const TTL = 7200;
const silent = pino({ level: "silent" });

/** Everything a test opened, closed after it whatever its outcome, last opened first closed. */
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A database of the test's own: load() reads every recent revocation, so tests must not see each other's. */
async function freshDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  return database;
}

function revocationsFor(options: Partial<Parameters<typeof createAttendeeRevocations>[0]> = {}) {
  const revocations = createAttendeeRevocations({ ttlSeconds: TTL, logger: silent, ...options });
  cleanups.push(() => revocations.close());
  return revocations;
}

/** A presenter, a workspace and a live session with `count` attendees in it; resolves to the attendee ids. */
async function sessionWithAttendees(
  db: Database,
  count: number,
): Promise<{ sessionId: string; ids: string[] }> {
  const unique = randomBytes(4).toString("hex");
  const [owner] = await db
    .insert(users)
    .values({ name: "Presenter", email: `presenter-${unique}@example.test` })
    .returning({ id: users.id });
  const [workspace] = await db
    .insert(workspaces)
    .values({ name: "Workspace", slug: `workspace-${unique}`, createdAt: new Date() })
    .returning({ id: workspaces.id });
  const [session] = await db
    .insert(sessions)
    .values({
      workspaceId: workspace!.id,
      ownerId: owner!.id,
      title: "A talk",
      status: "live",
      startedAt: new Date(),
      joinCode: unique.toUpperCase(),
    })
    .returning({ id: sessions.id });
  const rows = await db
    .insert(attendees)
    .values(
      Array.from({ length: count }, (_, i) => ({ sessionId: session!.id, displayName: `Attendee ${i + 1}` })),
    )
    .returning({ id: attendees.id });
  return { sessionId: session!.id, ids: rows.map((row) => row.id) };
}

function setRevoked(db: Database, id: string, column: "bannedAt" | "removedAt", at = new Date()) {
  return db
    .update(attendees)
    .set({ [column]: at })
    .where(eq(attendees.id, id));
}

/** Polls a condition every few milliseconds, failing after the deadline: no fixed sleeps. */
async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  deadlineMs = 3_000,
): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > deadlineMs) throw new Error(`not within ${deadlineMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function captureLogs(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: "info" }, stream), lines };
}

describe("attendee revocations in memory", () => {
  it("holds what was revoked and nothing else", async () => {
    const revocations = revocationsFor();
    const [revoked, other] = [randomUUID(), randomUUID()];
    expect(revocations.isRevoked(revoked)).toBe(false);
    await revocations.revoke(revoked);
    expect(revocations.isRevoked(revoked)).toBe(true);
    expect(revocations.isRevoked(other)).toBe(false);
    expect(revocations.size).toBe(1);
    await expect(revocations.revoke("not-an-id")).rejects.toThrow(/attendeeId must be a UUID/);
  });

  it("forgets an entry once the TTL has passed, and sweeps expired entries out of memory", async () => {
    let clock = Date.parse("2025-03-01T10:00:00Z");
    const revocations = revocationsFor({ ttlSeconds: 60, now: () => clock });
    const first = randomUUID();
    await revocations.revoke(first);
    clock += 59_999;
    expect(revocations.isRevoked(first)).toBe(true);
    clock += 1;
    expect(revocations.isRevoked(first)).toBe(false);

    // Never looked up again, expired entries still leave once later revocations come in.
    const stale = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of stale) await revocations.revoke(id);
    expect(revocations.size).toBe(3);
    clock += 61_000;
    const fresh = randomUUID();
    await revocations.revoke(fresh);
    expect(revocations.size).toBe(1);
    expect(revocations.isRevoked(fresh)).toBe(true);
    for (const id of stale) expect(revocations.isRevoked(id)).toBe(false);
  });

  it("loads the attendees banned or removed within the TTL from PostgreSQL", async () => {
    const { db } = await freshDatabase();
    const { ids } = await sessionWithAttendees(db, 5);
    const [banned, removed, bannedLongAgo, untouched, removedLongAgo] = ids as [
      string,
      string,
      string,
      string,
      string,
    ];
    const longAgo = new Date(Date.now() - (TTL + 60) * 1000);
    await setRevoked(db, banned, "bannedAt");
    await setRevoked(db, removed, "removedAt");
    await setRevoked(db, bannedLongAgo, "bannedAt", longAgo);
    await setRevoked(db, removedLongAgo, "removedAt", longAgo);

    const revocations = revocationsFor();
    expect(await revocations.load(db)).toBe(2);
    expect(revocations.isRevoked(banned)).toBe(true);
    expect(revocations.isRevoked(removed)).toBe(true);
    expect(revocations.isRevoked(bannedLongAgo)).toBe(false);
    expect(revocations.isRevoked(removedLongAgo)).toBe(false);
    expect(revocations.isRevoked(untouched)).toBe(false);
  });

  it("keeps a loaded entry for the TTL from the ban itself, not from the load", async () => {
    const { db } = await freshDatabase();
    const { ids } = await sessionWithAttendees(db, 1);
    const [banned] = ids as [string];
    let clock = Date.now();
    await setRevoked(db, banned, "bannedAt", new Date(clock - 100_000));
    const revocations = revocationsFor({ ttlSeconds: 120, now: () => clock });
    expect(await revocations.load(db)).toBe(1);
    clock += 19_000;
    expect(revocations.isRevoked(banned)).toBe(true);
    clock += 2_000;
    expect(revocations.isRevoked(banned)).toBe(false);
  });

  it("records a revocation locally and rejects when it cannot be published", async () => {
    const unreachable = createRedis(`redis://127.0.0.1:${await freePort()}`, silent);
    cleanups.push(() => unreachable.disconnect());
    const revocations = revocationsFor({ redis: unreachable });
    const id = randomUUID();
    await expect(revocations.revoke(id)).rejects.toThrow();
    expect(revocations.isRevoked(id)).toBe(true);
  });

  it("starts while Redis is unreachable, after a warning, instead of holding the server back", async () => {
    const unreachable = createRedis(`redis://127.0.0.1:${await freePort()}`, silent);
    cleanups.push(() => unreachable.disconnect());
    const { logger, lines } = captureLogs();
    const revocations = revocationsFor({ redis: unreachable, logger, startTimeoutMs: 200 });
    const started = Date.now();
    await revocations.start();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(lines.map((line) => line.msg)).toContainEqual(expect.stringMatching(/not subscribed yet/));
    await revocations.close();
  });

  it("stops waiting for Redis when closed during start", async () => {
    const unreachable = createRedis(`redis://127.0.0.1:${await freePort()}`, silent);
    cleanups.push(() => unreachable.disconnect());
    const revocations = revocationsFor({ redis: unreachable, startTimeoutMs: 20_000 });
    const started = Date.now();
    const starting = revocations.start();
    await revocations.close();
    await starting;
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

// CI runs these against the machine's Redis (REDIS_URL); a laptop without Redis has nothing to check them with.
describe("attendee revocations across instances", () => {
  async function connect(name = `podium-test-${randomBytes(4).toString("hex")}`): Promise<Redis> {
    const redis = createRedis(process.env.REDIS_URL as string, silent, name);
    cleanups.push(() => redis.disconnect());
    if (redis.status !== "ready") await new Promise((resolve) => redis.once("ready", resolve));
    return redis;
  }

  /** Two instances of the app, each with its own Redis connections, on a channel of this test's own. */
  async function twoInstances(options: { subscriberName?: string } = {}) {
    const channel = `podium-test:attendee-revoked:${randomUUID()}`;
    const [redisA, redisB] = [await connect(), await connect()];
    const a = revocationsFor({ redis: redisA, channel });
    const b = revocationsFor({
      redis: redisB,
      channel,
      createSubscriber: options.subscriberName
        ? () => createRedis(process.env.REDIS_URL as string, silent, options.subscriberName)
        : undefined,
    });
    const { db } = await freshDatabase();
    // As a server starts: subscribe first, then read, so no revocation falls between the two.
    for (const instance of [a, b]) {
      await instance.start();
      await instance.load(db);
    }
    return { a, b, channel, redis: redisA, db };
  }

  it.runIf(process.env.REDIS_URL)("tells every instance about a revocation within milliseconds", async () => {
    const { a, b, db } = await twoInstances();
    const { sessionId, ids } = await sessionWithAttendees(db, 2);
    const [banned, other] = ids as [string, string];
    const secret = randomBytes(32);
    const tokensOn = (revocations: AttendeeRevocations) =>
      createAttendeeTokens({ secret, issuer: "podium", audience: "podium-attendee", revocations });
    const [tokensA, tokensB] = [tokensOn(a), tokensOn(b)];
    const bannedToken = (await tokensA.issue({ attendeeId: banned, sessionId })).token;
    const otherToken = (await tokensA.issue({ attendeeId: other, sessionId })).token;
    await expect(tokensB.verify(bannedToken, { sessionId })).resolves.toMatchObject({ attendeeId: banned });

    // What a moderation service does: commit the ban, then revoke.
    await setRevoked(db, banned, "bannedAt");
    const revokedAt = Date.now();
    await a.revoke(banned);
    await eventually(() => b.isRevoked(banned), "instance B learns the revocation");
    expect(Date.now() - revokedAt).toBeLessThan(1_000);

    await expect(tokensB.verify(bannedToken, { sessionId })).rejects.toMatchObject({
      code: "ATTENDEE_TOKEN_REVOKED",
    });
    await expect(tokensB.verify(otherToken, { sessionId })).resolves.toMatchObject({ attendeeId: other });
    expect(b.isRevoked(other)).toBe(false);
  });

  it.runIf(process.env.REDIS_URL)("catches up on a revocation whose message was lost", async () => {
    const channel = `podium-test:attendee-revoked:${randomUUID()}`;
    const b = revocationsFor({ redis: await connect(), channel, resyncIntervalMs: 100 });
    const { db } = await freshDatabase();
    await b.start();
    await b.load(db);
    const { ids } = await sessionWithAttendees(db, 1);
    // Committed by another instance whose publish failed: no message ever arrives.
    await setRevoked(db, ids[0] as string, "bannedAt");
    await eventually(() => b.isRevoked(ids[0] as string), "instance B reads the ban from PostgreSQL");
  });

  it.runIf(process.env.REDIS_URL)("ignores malformed messages on the channel", async () => {
    const { b, channel, redis } = await twoInstances();
    await redis.publish(channel, "'; drop table attendees; --");
    await redis.publish(channel, randomUUID().toUpperCase());
    const valid = randomUUID();
    // Messages on one channel arrive in order: once the valid one is in, the others have been handled.
    await redis.publish(channel, valid);
    await eventually(() => b.isRevoked(valid), "the valid message arrives");
    expect(b.size).toBe(1);
  });

  it.runIf(process.env.REDIS_URL)(
    "reads the database again after its subscriber reconnects, then hears revocations again",
    async () => {
      const subscriberName = `podium-test-sub-${randomBytes(4).toString("hex")}`;
      const { a, b, redis, db } = await twoInstances({ subscriberName });
      const { ids } = await sessionWithAttendees(db, 2);
      const [missed, later] = ids as [string, string];

      // A revocation whose message B never hears: committed, but published while B's subscriber is gone.
      await setRevoked(db, missed, "removedAt");
      const clients = (await redis.client("LIST")) as string;
      const subscriberId = /id=(\d+) .*name=(\S+)/
        .exec(clients.split("\n").find((line) => line.includes(`name=${subscriberName} `)) ?? "")
        ?.at(1);
      expect(subscriberId).toBeDefined();
      await redis.client("KILL", "ID", subscriberId as string);
      expect(b.isRevoked(missed)).toBe(false);

      await eventually(() => b.isRevoked(missed), "instance B reads the removal from PostgreSQL");
      await a.revoke(later);
      await eventually(() => b.isRevoked(later), "instance B hears revocations after reconnecting");
    },
  );

  it.runIf(process.env.REDIS_URL)("unsubscribes and closes its subscriber on close()", async () => {
    const { a, b, channel, redis } = await twoInstances();
    const subscribers = async () => Number(((await redis.pubsub("NUMSUB", channel)) as [string, number])[1]);
    expect(await subscribers()).toBe(2);
    await b.close();
    await a.close();
    await eventually(async () => (await subscribers()) === 0, "Redis drops both subscriptions");
    // The command client belongs to the caller: closing revocations leaves it working.
    expect(await redis.ping()).toBe("PONG");
  });
});
