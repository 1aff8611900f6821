import { AppError } from "../../lib/errors.js";
import type { AttendeeTokens } from "../attendees/attendee-token.js";
import { looksLikeJwt } from "../attendees/attendee-token.js";
import { ANONYMOUS, type Actor, type AttendeeActor, type UserActor } from "./actor.js";
import type { ApiKeyService } from "./api-keys.service.js";
import { PLATFORM_ROLES, SESSION_COOKIE, type Auth, type PlatformRole } from "./auth.instance.js";
import type { AuthGeneration } from "./auth-generation.js";
import type { SessionCache } from "./session-cache.js";

/** The session cookie's value in a Cookie header (`__Secure-` prefixed on https). */
const SESSION_COOKIE_VALUE = new RegExp(
  `(?:^|;\\s*)(?:__Secure-)?${SESSION_COOKIE.replace(".", "\\.")}=([^;]+)`,
);

/** The credential-bearing request headers, as plain strings (no Fetch `Headers` on the hot path). */
export interface Credentials {
  authorization?: string;
  apiKey?: string;
  cookie?: string;
}

export interface Authenticator {
  /**
   * Who sent these headers. A credential that is present but bad is an error (401), not an anonymous caller,
   * so a client with an expired token learns it at once. A stale session cookie alone counts as anonymous:
   * browsers keep sending cookies after sign-out.
   */
  authenticate(credentials: Credentials): Promise<Actor>;
  /**
   * Authentication started now, with whom it will most likely resolve to, so that the caller can start that
   * actor's own round trips (its rate limits) beside the auth generation's read instead of after it. For a
   * session token this instance has read before: the cached user, valid or not (authentication still decides).
   * For a good attendee token: the attendee itself (checked locally). Undefined for any other credential.
   */
  early(credentials: Credentials): EarlyAuthentication | undefined;
}

export interface EarlyAuthentication {
  actor: Promise<Actor>;
  likely: UserActor | AttendeeActor;
}

/**
 * One place that turns credentials into an Actor, shared by HTTP routes and the real-time handshake:
 * `Authorization: Bearer <attendee JWT>`, `Authorization: Bearer <session token>`, `X-Api-Key`, or the
 * session cookie. Free of HTTP framework code: it reads plain header values.
 */
export function createAuthenticator(deps: {
  auth: Auth;
  attendeeTokens: AttendeeTokens;
  apiKeys: Pick<ApiKeyService, "verify">;
  sessionCache: SessionCache;
  generation: AuthGeneration;
  /** How long after the request that found its entry half spent a session is read afresh. */
  refreshDelayMs: number;
}): Authenticator {
  const { auth, attendeeTokens, apiKeys, sessionCache, generation, refreshDelayMs } = deps;

  /**
   * better-auth's session read is the authority, and costs about a millisecond of CPU (much more when its code has
   * not run for a while): its answer is cached under the current auth generation (see session-cache.ts), so a
   * sign-out anywhere invalidates it at once. An entry in use is read afresh before it runs out, off the request's
   * path (`refreshAhead`), so that its user's requests do not pay that read once per cache lifetime.
   */
  async function sessionActor(presented: SessionCredential): Promise<UserActor | null> {
    const key = `${presented.via}:${presented.credential}`;
    const at = await generation.current().catch(() => undefined);
    const cached = at === undefined ? undefined : sessionCache.get(key, at);
    if (!cached) return readSession(presented, key, at);
    if (sessionCache.claimRefresh(key)) refreshAhead(presented, key);
    return cached;
  }

  async function readSession(
    { header, via }: SessionCredential,
    key: string,
    at: string | undefined,
  ): Promise<UserActor | null> {
    // Only the one credential reaches better-auth (a cookie sent beside a bearer token must not win over it),
    // and a Headers object is built only when the cache cannot answer.
    const headers = new Headers([header]);
    const result = await auth.api.getSession({ headers, query: { disableCookieCache: true } });
    if (!result) return null;
    const role: PlatformRole = PLATFORM_ROLES.includes(result.user.role as PlatformRole)
      ? (result.user.role as PlatformRole)
      : "presenter";
    const actor: UserActor = {
      kind: "user",
      userId: result.user.id,
      role,
      authSessionId: result.session.id,
      via,
    };
    if (at !== undefined) sessionCache.set(key, actor, at, new Date(result.session.expiresAt));
    return actor;
  }

  /**
   * Reads the session afresh a moment later, after the request that found its entry half spent (the read's CPU must
   * not delay that request's work): under the generation current then, so a sign-out meanwhile still wins. A
   * session gone, or a read that fails, drops the entry; the next request then reads it itself.
   */
  function refreshAhead(presented: SessionCredential, key: string): void {
    const timer = setTimeout(() => {
      generation
        .current()
        .then((at) => readSession(presented, key, at))
        .then(
          (actor) => actor ?? sessionCache.delete(key),
          () => sessionCache.delete(key),
        );
    }, refreshDelayMs);
    timer.unref();
  }

  /** An attendee token's actor: checked here and now (an HMAC and the revocations this instance knows). */
  function attendeeActor(token: string): AttendeeActor {
    const claims = attendeeTokens.verifyNow(token);
    return {
      kind: "attendee",
      attendeeId: claims.attendeeId,
      sessionId: claims.sessionId,
      tokenId: claims.tokenId,
    };
  }

  async function authenticated(presented: Presented): Promise<Actor> {
    switch (presented.kind) {
      case "none":
        return ANONYMOUS;
      case "malformed":
        throw new AppError("INVALID_CREDENTIALS", 401, "Use `Authorization: Bearer <token>`.", {
          headers: { "www-authenticate": 'Bearer realm="podium"' },
        });
      case "attendee":
        return attendeeActor(presented.token);
      case "apiKey":
        return { kind: "apiKey", ...(await apiKeys.verify(presented.key)) };
      case "session": {
        const actor = await sessionActor(presented);
        if (actor || presented.via === "cookie") return actor ?? ANONYMOUS;
        throw new AppError("INVALID_CREDENTIALS", 401, "The bearer token is invalid, expired or revoked.", {
          headers: { "www-authenticate": 'Bearer realm="podium", error="invalid_token"' },
        });
      }
    }
  }

  return {
    authenticate: (credentials) => authenticated(presentedIn(credentials)),
    early(credentials) {
      const presented = presentedIn(credentials);
      if (presented.kind === "attendee") {
        try {
          const likely = attendeeActor(presented.token);
          return { actor: Promise.resolve(likely), likely };
        } catch {
          return undefined; // refused by authenticate, with its reason, when the route asks
        }
      }
      if (presented.kind !== "session") return undefined;
      const likely = sessionCache.peek(`${presented.via}:${presented.credential}`);
      if (!likely) return undefined;
      const actor = authenticated(presented);
      // Awaited by the caller later, or never (a request refused before): no unhandled rejection meanwhile.
      actor.catch(() => undefined);
      return { actor, likely };
    },
  };
}

interface SessionCredential {
  kind: "session";
  header: ["authorization" | "cookie", string];
  credential: string;
  via: "cookie" | "bearer";
}

type Presented =
  | { kind: "none" }
  | { kind: "malformed" }
  | { kind: "attendee"; token: string }
  | { kind: "apiKey"; key: string }
  | SessionCredential;

/**
 * Which credential counts, in order: the Authorization header (an attendee JWT or a session token), then
 * X-Api-Key, then the session cookie. A cookie without our session cookie in it is no credential: browsers
 * keep sending cookies after sign-out.
 */
function presentedIn({ authorization, apiKey, cookie }: Credentials): Presented {
  if (authorization) {
    const [scheme, token] = authorization.split(" ", 2);
    if (scheme?.toLowerCase() !== "bearer" || !token) return { kind: "malformed" };
    if (looksLikeJwt(token)) return { kind: "attendee", token };
    return { kind: "session", header: ["authorization", authorization], credential: token, via: "bearer" };
  }
  if (apiKey) return { kind: "apiKey", key: apiKey };
  const sessionCookie = cookie && SESSION_COOKIE_VALUE.exec(cookie)?.[1];
  if (cookie && sessionCookie) {
    return { kind: "session", header: ["cookie", cookie], credential: sessionCookie, via: "cookie" };
  }
  return { kind: "none" };
}
