/**
 * Podium for the authentication benchmark: the compiled server (dist/, as `node dist/main.js` runs it) started
 * with `startServer`, plus two routes with identical handlers, one open and one behind `requireActor`:
 *
 *   GET /bench/open       → {"ok":true}
 *   GET /bench/protected  → {"ok":true}, 401 for anonymous callers
 *
 * Run as a child process by bench/auth-latency.ts: `node --import tsx bench/auth-server.ts` with Podium's usual
 * environment (PORT, AUTH_SECRET, …). tsx only transforms this file; the server code is dist/'s JavaScript.
 * Prints one `auth-server ready {json}` line on stdout once it listens (its URL, the public URL that
 * sign-in wants as Origin, and an attendee token issued for random ids); exits 0 on SIGTERM after draining.
 */
import { randomUUID } from "node:crypto";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type * as EnvModule from "../src/config/env.js";
import type * as LoggerModule from "../src/config/logger.js";
import type * as ServerModule from "../src/server.js";
import type { AuthServerReady } from "./auth-latency.js";

// The same text as AUTH_SERVER_MARKER in auth-latency.ts (importing it would load the load generator here).
const MARKER = "auth-server ready";

const dist = join(resolve(import.meta.dirname, ".."), "dist");
const load = (file: string) => import(pathToFileURL(join(dist, file)).href);
const { loadConfig, ConfigError } = (await load("config/env.js")) as typeof EnvModule;
const { createLogger } = (await load("config/logger.js")) as typeof LoggerModule;
const { startServer } = (await load("server.js")) as typeof ServerModule;

let config: EnvModule.Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78);
  }
  throw error;
}
const logger = createLogger(config.logLevel);

// Identical handlers: the only difference between the two routes is the preHandler.
const handler = async () => ({ ok: true });
const server = await startServer(config, logger, {
  register(app) {
    app.get("/bench/open", handler);
    app.get("/bench/protected", { preHandler: app.requireActor }, handler);
  },
});

const attendee = await server.app.authServices.attendeeTokens.issue({
  attendeeId: randomUUID(),
  sessionId: randomUUID(),
});
const ready: AuthServerReady = {
  url: server.url,
  publicUrl: config.auth.publicUrl,
  attendeeToken: attendee.token,
};
console.log(`${MARKER} ${JSON.stringify(ready)}`);

let stopping = false;
const stop = (reason: string) => {
  if (stopping) return;
  stopping = true;
  server.shutdown(reason).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error("auth-server: shutdown failed:", error);
      process.exit(1);
    },
  );
};
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
