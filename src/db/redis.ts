import { Redis } from "ioredis";
import type { Logger } from "pino";

/**
 * A Redis client for commands. Commands fail fast while disconnected (no offline queue) and after 500 ms
 * without an answer, so a Redis outage shows up as errors and failed health checks instead of requests piling up; the client keeps reconnecting.
 */
export function createRedis(url: string, logger: Logger, name = "podium"): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A Redis that accepts connections but stops answering must fail commands, not hang every request that
    // counts a rate limit or checks a session: errors are what the callers' fallbacks handle.
    commandTimeout: 500,
    connectTimeout: 3_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let reported = false;
  redis.on("error", (error) => {
    // One line per outage, not one per reconnect attempt.
    if (!reported) logger.warn({ err: error }, "redis connection error");
    reported = true;
  });
  redis.on("ready", () => {
    if (reported) logger.info("redis connection restored");
    reported = false;
  });
  return redis;
}
