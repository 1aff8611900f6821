import type { Redis } from "ioredis";
import {
  BurstyRateLimiter,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from "rate-limiter-flexible";

export interface FloodSettings {
  eventsPerSecond: number;
  eventBurst: number;
  floodDisconnectAfter: number;
  connectionsPerMinute: number;
}

const STRIKE_WINDOW_MS = 10_000;

/**
 * Flood control for sockets. Events: each socket may send `eventsPerSecond` sustained with a burst allowance of
 * `eventBurst` over ten seconds, then its events are refused; a socket refused `floodDisconnectAfter` times
 * within ten seconds is flooding and is disconnected. Sockets live on one instance, so their counters are in
 * memory. Connections: `connectionsPerMinute` per address, shared across instances through Redis when there is
 * one (and counted in memory while Redis is unreachable).
 */
export function createFloodControl(settings: FloodSettings, redis: Redis | undefined) {
  const events = new BurstyRateLimiter(
    new RateLimiterMemory({ keyPrefix: "ev", points: settings.eventsPerSecond, duration: 1 }),
    new RateLimiterMemory({
      keyPrefix: "evb",
      points: settings.eventBurst,
      duration: STRIKE_WINDOW_MS / 1000,
    }),
  );
  const memoryConnections = new RateLimiterMemory({
    keyPrefix: "conn",
    points: settings.connectionsPerMinute,
    duration: 60,
  });
  const connections: RateLimiterAbstract = redis
    ? new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: "podium:rl:socket-connect",
        points: settings.connectionsPerMinute,
        duration: 60,
        insuranceLimiter: memoryConnections,
      })
    : memoryConnections;
  const strikes = new Map<string, { count: number; since: number }>();

  return {
    /** Whether this socket may send one more event; refusals count as strikes. */
    async allowEvent(socketId: string): Promise<"ok" | "refused" | "flooding"> {
      try {
        await events.consume(socketId);
        return "ok";
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        const now = Date.now();
        const entry = strikes.get(socketId);
        const current = entry && now - entry.since < STRIKE_WINDOW_MS ? entry : { count: 0, since: now };
        current.count += 1;
        strikes.set(socketId, current);
        return current.count >= settings.floodDisconnectAfter ? "flooding" : "refused";
      }
    },
    /** Resolves to 0 when a connection from this address is allowed, or to the seconds to wait. */
    async allowConnection(ip: string): Promise<number> {
      try {
        await connections.consume(ip);
        return 0;
      } catch (error) {
        if (error instanceof RateLimiterRes) return Math.ceil(error.msBeforeNext / 1000);
        throw error;
      }
    },
    forget(socketId: string): void {
      // The limiter's own entries expire within ten seconds.
      strikes.delete(socketId);
    },
  };
}

export type FloodControl = ReturnType<typeof createFloodControl>;
