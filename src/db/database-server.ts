import type { Logger } from "pino";
import type { Config } from "../config/env.js";
import { redactUrl } from "./client.js";
import { startEmbeddedPostgres } from "./embedded.js";

export interface DatabaseServer {
  url: string;
  embedded: boolean;
  /** Stops the embedded server; nothing to do for an external one. */
  stop(): Promise<void>;
}

/** The configured PostgreSQL (DATABASE_URL), or the embedded one started on the spot when none is configured. */
export async function openDatabaseServer(config: Config, logger: Logger): Promise<DatabaseServer> {
  if (config.database.url) {
    logger.info({ database: redactUrl(config.database.url) }, "using PostgreSQL from DATABASE_URL");
    return { url: config.database.url, embedded: false, stop: async () => undefined };
  }
  const started = performance.now();
  const embedded = await startEmbeddedPostgres({ ...config.embeddedPostgres, logger });
  logger.info(
    {
      database: redactUrl(embedded.url),
      dataDir: config.embeddedPostgres.dataDir,
      firstStart: embedded.initialised,
      ms: Math.round(performance.now() - started),
    },
    "embedded PostgreSQL started (set DATABASE_URL to use your own server)",
  );
  return { url: embedded.url, embedded: true, stop: () => embedded.stop() };
}
