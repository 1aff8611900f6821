import { Redis } from "ioredis";
import type { Logger } from "pino";

/**
 * A Redis client for commands. Commands fail fast while disconnected (no offline queue), so a Redis outage
 * shows up as errors and failed health checks instead of requests piling up; the client keeps reconnecting.
 */
export function createRedis(url: string, logger: Logger, name = "podium"): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
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
