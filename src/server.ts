import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { buildApp, type App } from "./app.js";
import type { Config } from "./config/env.js";
import { createDatabase, type DatabaseHandle } from "./db/client.js";
import { migrate } from "./db/migrator.js";
import { openDatabaseServer, type DatabaseServer } from "./db/database-server.js";
import { createRedis } from "./db/redis.js";
import { resolveAuthSecret } from "./modules/auth/auth-secret.js";

export interface RunningServer {
  app: App;
  /** Base URL the server listens on. */
  url: string;
  /** Drains and stops everything in order; safe to call more than once. */
  shutdown(reason: string): Promise<void>;
}

/**
 * Starts one Podium instance: database (configured or embedded) → migrations → pools → HTTP server.
 * Shutdown reverses it: stop accepting and drain in-flight requests, close pools, stop the embedded database.
 * `register` adds routes of the caller's before listening (tests; embedding Podium in a larger server).
 */
export async function startServer(
  config: Config,
  logger: Logger,
  options: { register?: (app: App) => void } = {},
): Promise<RunningServer> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const runCleanups = async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => logger.error({ err: error }, "error while shutting down"));
    }
    cleanups.length = 0;
  };

  let databaseServer: DatabaseServer;
  let database: DatabaseHandle;
  let redis: Redis | undefined;
  let app: App;
  try {
    databaseServer = await openDatabaseServer(config, logger);
    cleanups.push(() => databaseServer.stop());
    if (config.database.migrateOnStart) {
      const applied = await migrate(databaseServer.url, {
        logger,
        connectTimeoutMs: config.database.connectTimeoutMs,
      });
      logger.info(
        { applied: applied.length },
        applied.length ? "database migrated" : "database schema up to date",
      );
    }
    database = createDatabase({ ...config.database, url: databaseServer.url }, logger);
    cleanups.push(() => database.close());
    if (config.redis.url) {
      const client = createRedis(config.redis.url, logger);
      redis = client;
      cleanups.push(() => client.quit());
    }
    const secret = await resolveAuthSecret(config, logger);
    app = await buildApp({
      config: { ...config, auth: { ...config.auth, secret } },
      database,
      redis,
      logger,
    });
    options.register?.(app);
    cleanups.push(() => app.close());
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await runCleanups();
    throw error;
  }

  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  let stopping: Promise<void> | undefined;
  return {
    app,
    url: `http://${host}:${port}`,
    shutdown(reason) {
      stopping ??= (async () => {
        logger.info({ reason }, "shutting down: draining in-flight requests");
        app.lifecycle.shuttingDown = true;
        // A keep-alive connection whose request was in flight at close() turns idle only later: close those
        // as they settle, so draining ends when the last request does, not when keep-alive times out.
        const sweeper = setInterval(() => app.server.closeIdleConnections(), 50);
        await runCleanups();
        clearInterval(sweeper);
        logger.info("shutdown complete");
      })();
      return stopping;
    },
  };
}
