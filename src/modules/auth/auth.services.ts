import { hkdfSync } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Config } from "../../config/env.js";
import type { Database } from "../../db/client.js";
import { createAttendeeRevocations, type AttendeeRevocations } from "../attendees/attendee-revocations.js";
import {
  createAttendeeTokens,
  DEFAULT_ATTENDEE_TOKEN_TTL_SECONDS,
  type AttendeeTokens,
} from "../attendees/attendee-token.js";
import { createAuth, type AccountRemovals, type Auth } from "./auth.instance.js";
import { createApiKeyService, type ApiKeyService } from "./api-keys.service.js";
import { createAuthenticator, type Authenticator } from "./authenticator.js";
import { createAuthGeneration, type AuthGeneration } from "./auth-generation.js";
import { createSessionCache } from "./session-cache.js";

export interface AuthServices {
  auth: Auth;
  authenticator: Authenticator;
  apiKeys: ApiKeyService;
  /** Bumped after every change to sign-in state, to invalidate cached session reads everywhere. */
  generation: AuthGeneration;
  attendeeTokens: AttendeeTokens;
  revocations: AttendeeRevocations;
  /** What deleting a workspace or a user does first (their sessions); set before serving. */
  setRemovals(removals: AccountRemovals): void;
  /** Loads recent revocations and subscribes to other instances' (Redis); call before serving. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Everything that identifies callers, built once per instance. The attendee-token key is derived from the auth
 * secret (HKDF with its own label), so one secret is configured and the two uses never share a key.
 */
export function createAuthServices(deps: {
  config: Config;
  secret: string;
  db: Database;
  redis?: Redis;
  logger: Logger;
}): AuthServices {
  const { config, secret, db, redis, logger } = deps;
  const removals: { current: AccountRemovals | null } = { current: null };
  const auth = createAuth({ config, secret, db, logger, removals });
  const revocations = createAttendeeRevocations({
    ttlSeconds: DEFAULT_ATTENDEE_TOKEN_TTL_SECONDS,
    redis,
    logger: logger.child({ module: "attendee-revocations" }),
  });
  const attendeeTokens = createAttendeeTokens({
    secret: new Uint8Array(hkdfSync("sha256", secret, "podium", "attendee-token-v1", 32)),
    issuer: config.auth.publicUrl,
    audience: `${config.auth.publicUrl}/attendee`,
    revocations,
  });
  const generation = createAuthGeneration({ redis, logger: logger.child({ module: "auth-generation" }) });
  const sessionCache = createSessionCache({ ttlMs: config.auth.sessionCacheTtlMs });
  const apiKeys = createApiKeyService({ auth, db });
  const authenticator = createAuthenticator({
    auth,
    attendeeTokens,
    apiKeys,
    sessionCache,
    generation,
    // A second after the request, or sooner with a short-lived cache: well before the entry runs out.
    refreshDelayMs: Math.min(1_000, config.auth.sessionCacheTtlMs / 8),
  });
  return {
    auth,
    authenticator,
    apiKeys,
    generation,
    attendeeTokens,
    revocations,
    setRemovals(value) {
      removals.current = value;
    },
    async start() {
      await revocations.start();
      await revocations.load(db);
    },
    close: async () => {
      await Promise.all([revocations.close(), generation.close()]);
    },
  };
}
