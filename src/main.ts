import { ConfigError, loadConfig, type Config } from "./config/env.js";
import { createLogger } from "./config/logger.js";
import { startServer, type RunningServer } from "./server.js";

/** Process entry: configuration → server → signals. Everything else lives in server.ts. */
async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  let server: RunningServer | undefined = undefined;
  let stopRequested: string | undefined;

  const stop = (reason: string) => {
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, "shutdown took too long: exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    if (!server) {
      // Still starting (initdb, migrations): stop as soon as it is up, so no database is left running.
      stopRequested = reason;
      logger.info({ reason }, "stop requested during start-up");
      return;
    }
    server.shutdown(reason).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };

  // Signal handlers come first: a signal during start-up must not kill the process with its database running.
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== undefined) {
      // Ctrl-C under `npm start` reaches us twice at once (from the terminal and from npm): only a second
      // signal sent on purpose, a moment later, skips the drain.
      if (Date.now() - firstSignalAt < 1_000) return;
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    firstSignalAt = Date.now();
    stop(signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("uncaughtException", (error) => {
    logger.fatal({ err: error }, "uncaught exception: shutting down");
    void (server?.shutdown("uncaughtException") ?? Promise.resolve()).finally(() => process.exit(1));
  });

  server = await startServer(config, logger);
  logger.info({ url: server.url, docs: `${server.url}/api/docs` }, "podium is listening");
  if (stopRequested) stop(stopRequested);
}

main().catch((error: unknown) => {
  console.error("podium failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
