import { gt, or } from "drizzle-orm";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Executor } from "../../db/client.js";
import { attendees } from "./attendees.table.js";

/**
 * Attendee ids whose tokens stopped working (banned or removed by a moderator), held in memory so verifying a
 * token costs a map lookup, not a round trip.
 *
 * PostgreSQL is the truth (`attendees.banned_at` / `removed_at`); this set is a cache of its recent past. The
 * order that keeps it right is write-then-publish: the service commits `banned_at` or `removed_at` first and
 * only then calls `revoke()`, which records the id here and publishes it so every other instance records it
 * too. An instance calls `start()` (subscribe) before `load()` (read the database): a revocation committed
 * before the read is in the read; one committed after it is published after the subscription, so none falls
 * in between. Pub/sub drops messages while a subscriber is disconnected, so after every reconnection the set
 * is read again from the database given to the last `load()`.
 *
 * An entry lives `ttlSeconds` from its revocation: every token is younger than that (the token verifier refuses
 * older ones whatever their `exp`), so a forgotten entry could only ever have matched dead tokens.
 */
export interface AttendeeRevocations {
  /** How long an entry is kept; attendee tokens must not live longer. */
  readonly ttlSeconds: number;
  /** Entries currently held, expired ones not yet swept included (for metrics and tests). */
  readonly size: number;
  /** Reads the attendees banned or removed within the last `ttlSeconds`; resolves to how many were read. */
  load(db: Executor): Promise<number>;
  /**
   * Records a revocation already committed to PostgreSQL, then tells the other instances. Rejects when the
   * publish fails: the revocation holds here, but other instances learn it only when they next read the database.
   */
  revoke(attendeeId: string): Promise<void>;
  isRevoked(attendeeId: string): boolean;
  /**
   * Subscribes to other instances' revocations. Resolves once subscribed or, if Redis is unreachable, after
   * `startTimeoutMs` with a warning: subscribing then goes on in the background, followed by a database read.
   */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface AttendeeRevocationsOptions {
  ttlSeconds: number;
  /** The command client, used to publish; without it revocations stay local to this instance. */
  redis?: Redis;
  /** A connection of its own for subscribing (one in subscribe mode cannot run commands); default `redis.duplicate()`. */
  createSubscriber?: () => Redis;
  /** Every instance of one deployment must use the same channel; tests use their own. */
  channel?: string;
  startTimeoutMs?: number;
  /**
   * With Redis, how often to read the database again anyway (default 30 s): a publish lost to a Redis blip
   * would otherwise leave other instances accepting a banned attendee until their next reconnection.
   */
  resyncIntervalMs?: number;
  logger: Logger;
  /** Milliseconds since the epoch; for tests. */
  now?: () => number;
}

export const DEFAULT_REVOCATION_CHANNEL = "podium:attendee-revoked";

/** Lowercase and hyphenated, as PostgreSQL prints a uuid: set lookups compare strings, so one spelling only. */
export const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The canonical spelling of a UUID given in any case; throws on anything else (a caller's bug, not input). */
export function canonicalUuid(value: string, name: string): string {
  const lower = typeof value === "string" ? value.toLowerCase() : "";
  if (!CANONICAL_UUID.test(lower)) throw new TypeError(`${name} must be a UUID`);
  return lower;
}

export function createAttendeeRevocations(options: AttendeeRevocationsOptions): AttendeeRevocations {
  const { ttlSeconds, redis, logger } = options;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)
    throw new TypeError("ttlSeconds must be a positive integer");
  const ttlMs = ttlSeconds * 1000;
  const channel = options.channel ?? DEFAULT_REVOCATION_CHANNEL;
  const startTimeoutMs = options.startTimeoutMs ?? 5_000;
  const now = options.now ?? Date.now;
  // Sweeping on insertion rather than on a timer: memory only grows when entries are added, so this bounds it
  // (entries of the last ttl plus one sweep interval) with nothing to schedule or cancel.
  const sweepIntervalMs = Math.max(1_000, Math.floor(ttlMs / 4));

  /** attendee id → when its entry expires (ms since the epoch). */
  const expiries = new Map<string, number>();
  let lastSweepAt = now();
  let resyncFrom: Executor | undefined;
  let subscriber: Redis | undefined;
  let stopWaiting: (() => void) | undefined;
  let resyncTimer: NodeJS.Timeout | undefined;
  let closed = false;

  function sweep(at: number): void {
    if (at - lastSweepAt < sweepIntervalMs) return;
    lastSweepAt = at;
    for (const [id, expiresAt] of expiries) if (expiresAt <= at) expiries.delete(id);
  }

  function record(attendeeId: string, revokedAt: number): void {
    const at = now();
    sweep(at);
    const expiresAt = revokedAt + ttlMs;
    if (expiresAt <= at) return;
    const known = expiries.get(attendeeId);
    if (known === undefined || known < expiresAt) expiries.set(attendeeId, expiresAt);
  }

  async function load(db: Executor): Promise<number> {
    resyncFrom = db;
    const cutoff = new Date(now() - ttlMs);
    const rows = await db
      .select({ id: attendees.id, bannedAt: attendees.bannedAt, removedAt: attendees.removedAt })
      .from(attendees)
      .where(or(gt(attendees.bannedAt, cutoff), gt(attendees.removedAt, cutoff)));
    for (const row of rows) {
      const revokedAt = Math.max(row.bannedAt?.getTime() ?? 0, row.removedAt?.getTime() ?? 0);
      record(row.id, revokedAt);
    }
    return rows.length;
  }

  function onMessage(from: string, message: string): void {
    if (from !== channel) return;
    if (!CANONICAL_UUID.test(message)) {
      logger.warn({ channel }, "ignored a malformed attendee revocation message");
      return;
    }
    // The receiver's clock: the entry outlives the publisher's by the message's transit time, never less.
    record(message, now());
  }

  function subscribe(subscriberClient: Redis): Promise<void> {
    let reported = false;
    let resolveSubscribed: () => void = () => undefined;
    const subscribed = new Promise<void>((resolve) => (resolveSubscribed = resolve));

    subscriberClient.on("message", onMessage);
    subscriberClient.on("error", (error: Error) => {
      // One line per outage, not one per reconnect attempt (the same policy as the command client).
      if (!reported) logger.warn({ err: error, channel }, "attendee revocation subscriber connection error");
      reported = true;
    });
    const onReady = () => {
      reported = false;
      // SUBSCRIBE is idempotent, so this is harmless beside ioredis's own resubscription after a reconnect.
      subscriberClient
        .subscribe(channel)
        .then(async () => {
          resolveSubscribed();
          // Messages published while this connection was down are lost: once the set has been read (a
          // reconnection, or a start while Redis was unreachable), read what they would have said from the truth.
          if (resyncFrom && !closed) {
            const count = await load(resyncFrom);
            logger.info({ channel, count }, "attendee revocations read again after subscribing");
          }
        })
        .catch((error: unknown) => {
          if (!closed)
            logger.error(
              { err: error, channel },
              "attendee revocations: subscribing or reading the database failed",
            );
        });
    };
    subscriberClient.on("ready", onReady);
    if (subscriberClient.status === "ready") onReady();
    return subscribed;
  }

  return {
    ttlSeconds,
    get size() {
      return expiries.size;
    },
    load,
    async revoke(attendeeId) {
      const id = canonicalUuid(attendeeId, "attendeeId");
      record(id, now());
      if (redis) await redis.publish(channel, id);
    },
    isRevoked(attendeeId) {
      const expiresAt = expiries.get(attendeeId);
      if (expiresAt === undefined) return false;
      if (expiresAt > now()) return true;
      expiries.delete(attendeeId);
      return false;
    },
    async start() {
      if (!redis || subscriber || closed) return;
      resyncTimer = setInterval(() => {
        if (!resyncFrom || closed) return;
        load(resyncFrom).catch((error: unknown) =>
          logger.warn({ err: error }, "attendee revocations: periodic read of the database failed"),
        );
      }, options.resyncIntervalMs ?? 30_000);
      resyncTimer.unref();
      subscriber = options.createSubscriber?.() ?? redis.duplicate({ connectionName: "podium-revocations" });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), startTimeoutMs);
        // A shutdown during a Redis outage should not wait out the timeout.
        stopWaiting = () => resolve(true);
      });
      const late = await Promise.race([subscribe(subscriber).then(() => false), timedOut]);
      clearTimeout(timer);
      stopWaiting = undefined;
      if (late && !closed)
        logger.warn(
          { channel, startTimeoutMs },
          "attendee revocations not subscribed yet (Redis unreachable): other instances' revocations arrive once it is",
        );
    },
    async close() {
      closed = true;
      clearInterval(resyncTimer);
      stopWaiting?.();
      const client = subscriber;
      subscriber = undefined;
      if (!client || client.status === "end") return;
      client.removeAllListeners("message");
      client.removeAllListeners("ready");
      // QUIT needs a live connection (there is no offline queue to wait in); otherwise just drop the socket.
      if (client.status === "ready") await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}
