import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";

/**
 * A value changed by every change to sign-in state (sign-out, revocations, bans, role changes: every
 * successful, authenticated POST to better-auth but the sign-in steps). Cached session lookups remember the
 * value they were made under and are dropped when it moved, so a sign-out on any instance takes effect on all of
 * them. In Redis when configured, in memory otherwise (one instance).
 *
 * With Redis, each instance holds the value and hears of every change on a channel, so a request does not wait
 * for a read: a bump sets the key and publishes the new value in one transaction. The value held is served only
 * while the instance is subscribed and has read the key since subscribing; otherwise (starting, a lost
 * connection: pub/sub drops what is published meanwhile) each use reads the key, as a bump on this instance
 * does until its own message comes back (so a sign-out is final here at once). A read every `checkIntervalMs`
 * bounds what a silently dead subscription could miss.
 */
export interface AuthGeneration {
  /** The current value; rejects when it cannot be read (callers then skip the cache). */
  current(): Promise<string>;
  bump(): Promise<void>;
  close(): Promise<void>;
}

export const AUTH_GENERATION_KEY = "podium:auth:generation";
export const AUTH_GENERATION_CHANNEL = "podium:auth:generation";

export interface AuthGenerationOptions {
  redis?: Redis;
  logger?: Logger;
  /** Every instance of one deployment must use the same key and channel; tests use their own. */
  key?: string;
  channel?: string;
  /** A connection of its own for subscribing (one in subscribe mode cannot run commands); default `redis.duplicate()`. */
  createSubscriber?: () => Redis;
  /** How often the held value is read again anyway (default 1 s). */
  checkIntervalMs?: number;
}

// Each bump writes a fresh random value rather than counting up: a counter lost with a Redis restart would
// start again at values old cache entries were stored under, and make them valid again.
export function createAuthGeneration(options: AuthGenerationOptions = {}): AuthGeneration {
  const { redis } = options;
  if (!redis) {
    let value = randomUUID();
    return {
      current: async () => value,
      bump: async () => {
        value = randomUUID();
      },
      close: async () => undefined,
    };
  }
  const key = options.key ?? AUTH_GENERATION_KEY;
  const channel = options.channel ?? AUTH_GENERATION_CHANNEL;
  const subscriber =
    options.createSubscriber?.() ?? redis.duplicate({ connectionName: "podium-auth-generation" });
  /** The value to serve without a read; undefined while it cannot be trusted. */
  let held: string | undefined;
  let subscribed = false;
  /** Moves on with every message and bump: a read sent before it moved must not install its older answer. */
  let changes = 0;
  let reported = false;
  let closed = false;

  async function read(): Promise<string> {
    const before = changes;
    const value = (await redis!.get(key)) ?? "initial";
    if (subscribed && changes === before) held = value;
    return value;
  }

  const lost = () => {
    subscribed = false;
    held = undefined;
  };
  subscriber.on("message", (from: string, value: string) => {
    if (from !== channel) return;
    changes += 1;
    if (subscribed) held = value;
  });
  subscriber.on("close", lost);
  subscriber.on("error", (error: Error) => {
    // One line per outage, not one per reconnect attempt.
    if (!reported) options.logger?.warn({ err: error }, "auth generation subscriber connection error");
    reported = true;
  });
  subscriber.on("ready", () => {
    reported = false;
    // SUBSCRIBE is idempotent, so this is harmless beside ioredis's own resubscription after a reconnect.
    subscriber
      .subscribe(channel)
      .then(() => {
        subscribed = subscriber.status === "ready";
        return read();
      })
      .catch((error: unknown) => {
        lost();
        if (!closed) options.logger?.warn({ err: error }, "auth generation: subscribing or reading failed");
      });
  });
  const check = setInterval(() => {
    if (subscribed) read().catch(() => (held = undefined));
  }, options.checkIntervalMs ?? 1_000);
  check.unref();

  return {
    current: () => (held !== undefined ? Promise.resolve(held) : read()),
    async bump() {
      changes += 1;
      held = undefined;
      const value = randomUUID();
      const results = await redis.multi().set(key, value).publish(channel, value).exec();
      const failed = results?.find(([error]) => error)?.[0];
      if (!results || failed) throw failed ?? new Error("auth generation: the transaction was discarded");
    },
    async close() {
      closed = true;
      clearInterval(check);
      lost();
      subscriber.removeAllListeners("message");
      subscriber.removeAllListeners("ready");
      if (subscriber.status === "ready") await subscriber.quit().catch(() => subscriber.disconnect());
      else subscriber.disconnect();
    },
  };
}
