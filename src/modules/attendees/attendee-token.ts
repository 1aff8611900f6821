import { createHmac, createSecretKey, randomUUID, timingSafeEqual } from "node:crypto";
import { AppError } from "../../lib/errors.js";
import { CANONICAL_UUID, canonicalUuid, type AttendeeRevocations } from "./attendee-revocations.js";

/** What a valid attendee token says. */
export interface AttendeeClaims {
  attendeeId: string;
  sessionId: string;
  tokenId: string;
  expiresAt: Date;
}

export interface IssuedAttendeeToken {
  token: string;
  tokenId: string;
  expiresAt: Date;
}

export interface AttendeeTokens {
  issue(input: { attendeeId: string; sessionId: string }): Promise<IssuedAttendeeToken>;
  /** Resolves to the token's claims or rejects with an AppError (ATTENDEE_TOKEN_*); never a database round trip. */
  verify(token: string, expected?: { sessionId?: string }): Promise<AttendeeClaims>;
  /** `verify`, answered at once: the claims, or throws the same AppError. */
  verifyNow(token: string, expected?: { sessionId?: string }): AttendeeClaims;
}

export interface AttendeeTokensOptions {
  /** The HMAC key: at least 32 bytes (a string counts its UTF-8 bytes). */
  secret: Uint8Array | string;
  issuer: string;
  audience: string;
  /** Default two hours; at most `revocations.ttlSeconds`, or a revocation could be forgotten before its tokens die. */
  ttlSeconds?: number;
  revocations: AttendeeRevocations;
  /** Milliseconds since the epoch; for tests. */
  now?: () => number;
}

export const DEFAULT_ATTENDEE_TOKEN_TTL_SECONDS = 7200;
/** The header `typ`: tells this token from any other JWT a future feature might sign with the same key. */
export const ATTENDEE_TOKEN_TYPE = "podium-attendee+jwt";

/** The one header we issue and accept, base64url-encoded: `{"alg":"HS256","typ":"podium-attendee+jwt"}`. */
const HEADER = Buffer.from(JSON.stringify({ alg: "HS256", typ: ATTENDEE_TOKEN_TYPE })).toString("base64url");
/** An HMAC-SHA-256 in base64url without padding: any other length (or a padded one) is not ours. */
const SIGNATURE_LENGTH = 43;
const MIN_SECRET_BYTES = 32;
/** Instances' clocks differ a little, and a token minted on one must verify on another at once. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** An attendee token is about 400 characters: refuse anything far larger before decoding it. */
const MAX_TOKEN_LENGTH = 2048;
// The signature may be empty so that an `alg: none` token is still routed here, and refused, rather than
// mistaken for an opaque session token.
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Whether a bearer token has the shape of a compact JWS (three base64url segments), i.e. is an attendee token. */
export function looksLikeJwt(token: string): boolean {
  return typeof token === "string" && token.length <= MAX_TOKEN_LENGTH && JWT_SHAPE.test(token);
}

export function createAttendeeTokens(options: AttendeeTokensOptions): AttendeeTokens {
  const { issuer, audience, revocations } = options;
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_ATTENDEE_TOKEN_TTL_SECONDS;
  const now = options.now ?? Date.now;
  if (!issuer || !audience) throw new TypeError("issuer and audience must not be empty");
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)
    throw new TypeError("ttlSeconds must be a positive integer");
  if (ttlSeconds > revocations.ttlSeconds)
    throw new TypeError(
      `attendee tokens live ${ttlSeconds}s but revocations are kept only ${revocations.ttlSeconds}s: a revoked token would work again`,
    );
  const secretBytes =
    typeof options.secret === "string" ? new TextEncoder().encode(options.secret) : options.secret;
  if (secretBytes.byteLength < MIN_SECRET_BYTES)
    throw new TypeError(`the attendee token secret must be at least ${MIN_SECRET_BYTES} bytes`);
  const key = createSecretKey(secretBytes);
  const sign = (signingInput: string) => createHmac("sha256", key).update(signingInput).digest("base64url");

  // Synchronous HMAC (node:crypto) instead of jose's WebCrypto verify: the same checks, a fifth of the time.
  // The header must be byte for byte the one we issue, which pins the algorithm and type and refuses
  // `alg: none`, other algorithms, `kid`, `jku`, `crit` and the like before anything else is read.
  function verifyNow(token: string, expected: { sessionId?: string } = {}): AttendeeClaims {
    if (!looksLikeJwt(token)) throw invalid();
    const [header, body, signature] = token.split(".") as [string, string, string];
    if (header !== HEADER || signature.length !== SIGNATURE_LENGTH) throw invalid();
    const computed = sign(`${header}.${body}`);
    if (!timingSafeEqual(Buffer.from(computed), Buffer.from(signature))) throw invalid();

    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Record<string, unknown>;
    } catch {
      throw invalid();
    }
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) throw invalid();
    const { sub, sid, jti, exp, iat, iss, aud, nbf } = payload;
    if (iss !== issuer || aud !== audience) throw invalid();
    if (!isUuid(sub) || !isUuid(sid) || !isUuid(jti)) throw invalid();
    if (!isTime(exp) || !isTime(iat) || (nbf !== undefined && !isTime(nbf))) throw invalid();
    const nowSeconds = Math.floor(now() / 1000);
    if (iat > nowSeconds + CLOCK_TOLERANCE_SECONDS) throw invalid();
    if (nbf !== undefined && (nbf as number) > nowSeconds + CLOCK_TOLERANCE_SECONDS) throw invalid();
    // Whatever its `exp` says, a token older than the TTL is dead: that is what lets revocations be forgotten.
    if (exp <= nowSeconds - CLOCK_TOLERANCE_SECONDS) throw expired();
    if (nowSeconds - iat > ttlSeconds + CLOCK_TOLERANCE_SECONDS) throw expired();
    // Revocation before session: a revoked attendee is not authenticated at all (401), wherever it goes.
    if (revocations.isRevoked(sub)) throw attendeeTokenRevoked();
    if (expected.sessionId !== undefined && sid !== expected.sessionId) throw wrongSession();
    return { attendeeId: sub, sessionId: sid, tokenId: jti, expiresAt: new Date(exp * 1000) };
  }

  return {
    async issue(input) {
      const attendeeId = canonicalUuid(input.attendeeId, "attendeeId");
      const sessionId = canonicalUuid(input.sessionId, "sessionId");
      // The join service checks the database; this keeps a refresh from reviving a credential revoked moments ago.
      if (revocations.isRevoked(attendeeId)) throw attendeeTokenRevoked();
      const issuedAt = Math.floor(now() / 1000);
      const expiresAt = issuedAt + ttlSeconds;
      const tokenId = randomUUID();
      const claims = {
        sid: sessionId,
        sub: attendeeId,
        jti: tokenId,
        iss: issuer,
        aud: audience,
        iat: issuedAt,
        exp: expiresAt,
      };
      const signingInput = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
      return {
        token: `${signingInput}.${sign(signingInput)}`,
        tokenId,
        expiresAt: new Date(expiresAt * 1000),
      };
    },

    async verify(token, expected) {
      return verifyNow(token, expected);
    },
    verifyNow,
  };
}

function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isUuid(value: unknown): value is string {
  return typeof value === "string" && CANONICAL_UUID.test(value);
}

// Details are sent to the client: they name the problem, never the token or what was wrong inside it.
const invalid = () => new AppError("ATTENDEE_TOKEN_INVALID", 401, "The attendee token is not valid.");
const expired = () =>
  new AppError("ATTENDEE_TOKEN_EXPIRED", 401, "The attendee token has expired; join the session again.");
/** Also the ask's answer when it finds its author banned or removed before this instance heard of it. */
export const attendeeTokenRevoked = () =>
  new AppError("ATTENDEE_TOKEN_REVOKED", 401, "This attendee was removed from the session by a moderator.");
const wrongSession = () =>
  new AppError("ATTENDEE_TOKEN_WRONG_SESSION", 403, "The attendee token belongs to another session.");
