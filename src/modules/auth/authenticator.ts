import type { Logger } from "pino";
import { AppError } from "../../lib/errors.js";
import type { AttendeeTokens } from "../attendees/attendee-token.js";
import { looksLikeJwt } from "../attendees/attendee-token.js";
import { ANONYMOUS, API_KEY_SCOPES, type Actor, type ApiKeyScope } from "./actor.js";
import { PLATFORM_ROLES, SESSION_COOKIE, type Auth, type PlatformRole } from "./auth.instance.js";

export interface Authenticator {
  /**
   * Who sent these headers. A credential that is present but bad is an error (401), not an anonymous caller,
   * so a client with an expired token learns it at once. A stale session cookie alone counts as anonymous:
   * browsers keep sending cookies after sign-out.
   */
  authenticate(headers: Headers): Promise<Actor>;
}

/**
 * One place that turns credentials into an Actor, shared by HTTP routes and the real-time handshake:
 * `Authorization: Bearer <attendee JWT>`, `Authorization: Bearer <session token>`, `X-Api-Key`, or the
 * session cookie. Free of HTTP framework code: it reads a Fetch `Headers`.
 */
export function createAuthenticator(deps: {
  auth: Auth;
  attendeeTokens: AttendeeTokens;
  logger: Logger;
}): Authenticator {
  const { auth, attendeeTokens } = deps;

  async function sessionActor(headers: Headers, via: "cookie" | "bearer"): Promise<Actor | null> {
    const result = await auth.api.getSession({ headers, query: { disableCookieCache: true } });
    if (!result) return null;
    const role: PlatformRole = PLATFORM_ROLES.includes(result.user.role as PlatformRole)
      ? (result.user.role as PlatformRole)
      : "presenter";
    return { kind: "user", userId: result.user.id, role, authSessionId: result.session.id, via };
  }

  return {
    async authenticate(headers) {
      const authorization = headers.get("authorization");
      if (authorization) {
        const [scheme, token] = authorization.split(" ", 2);
        if (scheme?.toLowerCase() !== "bearer" || !token) {
          throw new AppError("INVALID_CREDENTIALS", 401, "Use `Authorization: Bearer <token>`.", {
            headers: { "www-authenticate": 'Bearer realm="podium"' },
          });
        }
        if (looksLikeJwt(token)) {
          const claims = await attendeeTokens.verify(token);
          return {
            kind: "attendee",
            attendeeId: claims.attendeeId,
            sessionId: claims.sessionId,
            tokenId: claims.tokenId,
          };
        }
        // Only the bearer token reaches better-auth: a cookie sent alongside must not win over it.
        const actor = await sessionActor(new Headers({ authorization }), "bearer");
        if (!actor) {
          throw new AppError("INVALID_CREDENTIALS", 401, "The bearer token is invalid, expired or revoked.", {
            headers: { "www-authenticate": 'Bearer realm="podium", error="invalid_token"' },
          });
        }
        return actor;
      }

      const key = headers.get("x-api-key");
      if (key) return apiKeyActor(auth, key);

      const cookie = headers.get("cookie");
      if (cookie?.includes(SESSION_COOKIE)) {
        return (await sessionActor(new Headers({ cookie }), "cookie")) ?? ANONYMOUS;
      }
      return ANONYMOUS;
    },
  };
}

async function apiKeyActor(auth: Auth, key: string): Promise<Actor> {
  const result = await auth.api.verifyApiKey({ body: { key } }).catch(() => null);
  if (!result?.valid || !result.key) {
    throw new AppError("INVALID_API_KEY", 401, "The API key is invalid, expired or revoked.");
  }
  const granted = result.key.permissions?.podium ?? [];
  const scopes = API_KEY_SCOPES.filter((scope) => granted.includes(scope)) satisfies ApiKeyScope[];
  return { kind: "apiKey", userId: result.key.referenceId, keyId: result.key.id, scopes };
}
