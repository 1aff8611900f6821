import { randomBytes, randomUUID } from "node:crypto";
import { generateKeyPair, SignJWT, UnsecuredJWT, type JWTPayload } from "jose";
import { pino } from "pino";
import { beforeEach, describe, expect, it } from "vitest";
import { AppError } from "../../lib/errors.js";
import { createAttendeeRevocations, type AttendeeRevocations } from "./attendee-revocations.js";
import {
  ATTENDEE_TOKEN_TYPE,
  createAttendeeTokens,
  looksLikeJwt,
  type AttendeeTokens,
} from "./attendee-token.js";

const SECRET = randomBytes(32);
const ISSUER = "https://podium.test";
const AUDIENCE = "podium-attendee";
const TTL = 7200;

let revocations: AttendeeRevocations;
let tokens: AttendeeTokens;
const attendeeId = randomUUID();
const sessionId = randomUUID();

beforeEach(() => {
  revocations = createAttendeeRevocations({ ttlSeconds: TTL, logger: pino({ level: "silent" }) });
  tokens = createAttendeeTokens({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE, revocations });
});

/** The claims a genuine token carries, for hand-made variants of it. */
function claims(overrides: JWTPayload = {}): JWTPayload {
  const iat = Math.floor(Date.now() / 1000);
  return {
    sub: attendeeId,
    sid: sessionId,
    jti: randomUUID(),
    iss: ISSUER,
    aud: AUDIENCE,
    iat,
    exp: iat + TTL,
    ...overrides,
  };
}

/** A token signed with `key`, header and claims as given: everything an attacker holding a key could mint. */
async function forge(
  payload: JWTPayload,
  options: { alg?: string; key?: Parameters<SignJWT["sign"]>[0]; typ?: string | null } = {},
): Promise<string> {
  const { alg = "HS256", key = SECRET, typ = ATTENDEE_TOKEN_TYPE } = options;
  return new SignJWT(payload).setProtectedHeader(typ === null ? { alg } : { alg, typ }).sign(key);
}

async function refusal(promise: Promise<unknown>, token: string): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  // The detail reaches the client and the logs: never the credential itself, nor a piece of it.
  for (const segment of token.split(".").filter((part) => part.length > 8)) {
    expect(appError.detail).not.toContain(segment);
    expect(appError.message).not.toContain(segment);
  }
  return appError;
}

async function expectRefused(token: string, code: string, status = 401, expected?: { sessionId?: string }) {
  const error = await refusal(tokens.verify(token, expected), token);
  expect({ code: error.code, status: error.status }).toEqual({ code, status });
}

describe("attendee tokens", () => {
  it("issues a token whose claims verify back, bound to the session and expiring after the TTL", async () => {
    const before = Date.now();
    const issued = await tokens.issue({ attendeeId, sessionId });
    expect(looksLikeJwt(issued.token)).toBe(true);
    expect(issued.tokenId).toMatch(/^[0-9a-f-]{36}$/);
    expect(issued.expiresAt.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + TTL * 1000);
    expect(issued.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + TTL * 1000);

    const verified = await tokens.verify(issued.token, { sessionId });
    expect(verified).toEqual({ attendeeId, sessionId, tokenId: issued.tokenId, expiresAt: issued.expiresAt });

    const [header, payload] = issued.token
      .split(".")
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>);
    expect(header).toEqual({ alg: "HS256", typ: ATTENDEE_TOKEN_TYPE });
    expect(payload).toMatchObject({
      sub: attendeeId,
      sid: sessionId,
      jti: issued.tokenId,
      iss: ISSUER,
      aud: AUDIENCE,
    });
    expect((payload?.exp as number) - (payload?.iat as number)).toBe(TTL);
  });

  it("gives every token its own id", async () => {
    const first = await tokens.issue({ attendeeId, sessionId });
    const second = await tokens.issue({ attendeeId, sessionId });
    expect(second.tokenId).not.toBe(first.tokenId);
    expect(second.token).not.toBe(first.token);
  });

  it("stores ids in PostgreSQL's spelling, so a revocation always finds the token's subject", async () => {
    const { token } = await tokens.issue({ attendeeId: attendeeId.toUpperCase(), sessionId });
    expect((await tokens.verify(token)).attendeeId).toBe(attendeeId);
    await revocations.revoke(attendeeId.toUpperCase());
    await expectRefused(token, "ATTENDEE_TOKEN_REVOKED");
  });

  it("refuses malformed tokens", async () => {
    const { token } = await tokens.issue({ attendeeId, sessionId });
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const malformed = [
      "",
      "not-a-token",
      "a.b",
      "a.b.c",
      "....",
      `${header}.${payload}`,
      `${header}.${payload}.${signature}.${signature}`,
      `${header}..${signature}`,
      `${header}.${payload}.${signature}=`,
      `${header}.${payload}.${signature.replaceAll("-", "+").replaceAll("_", "/")}+/`,
      `${Buffer.from("{not json").toString("base64url")}.${payload}.${signature}`,
      `${Buffer.from("[]").toString("base64url")}.${payload}.${signature}`,
      `${header}.${Buffer.from("null").toString("base64url")}.${signature}`,
      `${"a".repeat(5000)}.${payload}.${signature}`,
    ];
    for (const candidate of malformed) await expectRefused(candidate, "ATTENDEE_TOKEN_INVALID");
  });

  it("refuses every single-character alteration of a genuine token", async () => {
    const { token } = await tokens.issue({ attendeeId, sessionId });
    // A segment's last character may carry unused bits, so changing it can leave the decoded bytes as they were.
    const lastOfSegment = new Set([token.indexOf(".") - 1, token.lastIndexOf(".") - 1, token.length - 1]);
    let altered = 0;
    for (let i = 0; i < token.length; i++) {
      if (token[i] === "." || lastOfSegment.has(i)) continue;
      const replacement = token[i] === "A" ? "B" : "A";
      await expectRefused(token.slice(0, i) + replacement + token.slice(i + 1), "ATTENDEE_TOKEN_INVALID");
      altered++;
    }
    expect(altered).toBeGreaterThan(300);
  });

  it("refuses an unsigned (alg: none) token", async () => {
    const unsigned = new UnsecuredJWT(claims()).encode();
    expect(unsigned.endsWith(".")).toBe(true);
    expect(looksLikeJwt(unsigned)).toBe(true);
    await expectRefused(unsigned, "ATTENDEE_TOKEN_INVALID");
    // The same, but claiming HS256 with no signature, and claiming "none" with a signature attached.
    const [, payload, signature] = (await forge(claims())).split(".");
    const header = (alg: string) =>
      Buffer.from(JSON.stringify({ alg, typ: ATTENDEE_TOKEN_TYPE })).toString("base64url");
    await expectRefused(`${header("HS256")}.${payload}.`, "ATTENDEE_TOKEN_INVALID");
    await expectRefused(`${header("none")}.${payload}.${signature}`, "ATTENDEE_TOKEN_INVALID");
    await expectRefused(`${header("NONE")}.${payload}.`, "ATTENDEE_TOKEN_INVALID");
  });

  it("refuses tokens signed with another algorithm, even with the same secret", async () => {
    await expectRefused(await forge(claims(), { alg: "HS512" }), "ATTENDEE_TOKEN_INVALID");
    await expectRefused(await forge(claims(), { alg: "HS384" }), "ATTENDEE_TOKEN_INVALID");
    const { privateKey } = await generateKeyPair("RS256");
    await expectRefused(await forge(claims(), { alg: "RS256", key: privateKey }), "ATTENDEE_TOKEN_INVALID");
    const { privateKey: ecKey } = await generateKeyPair("ES256");
    await expectRefused(await forge(claims(), { alg: "ES256", key: ecKey }), "ATTENDEE_TOKEN_INVALID");
  });

  it("refuses a token signed with another secret", async () => {
    await expectRefused(await forge(claims(), { key: randomBytes(32) }), "ATTENDEE_TOKEN_INVALID");
    const otherServer = createAttendeeTokens({
      secret: randomBytes(32),
      issuer: ISSUER,
      audience: AUDIENCE,
      revocations,
    });
    await expectRefused((await otherServer.issue({ attendeeId, sessionId })).token, "ATTENDEE_TOKEN_INVALID");
  });

  it("refuses a wrong issuer, a wrong audience and a wrong token type", async () => {
    await expectRefused(await forge(claims({ iss: "https://evil.test" })), "ATTENDEE_TOKEN_INVALID");
    await expectRefused(await forge(claims({ aud: "podium-presenter" })), "ATTENDEE_TOKEN_INVALID");
    await expectRefused(await forge(claims(), { typ: "JWT" }), "ATTENDEE_TOKEN_INVALID");
    await expectRefused(await forge(claims(), { typ: null }), "ATTENDEE_TOKEN_INVALID");
    // Same secret, another issuer's configuration: its tokens are not ours.
    const elsewhere = createAttendeeTokens({
      secret: SECRET,
      issuer: ISSUER,
      audience: "other-app",
      revocations,
    });
    await expectRefused((await elsewhere.issue({ attendeeId, sessionId })).token, "ATTENDEE_TOKEN_INVALID");
    // The forgeries above fail on their one altered claim: the same token with it restored passes.
    await expect(tokens.verify(await forge(claims()))).resolves.toMatchObject({ attendeeId, sessionId });
  });

  it("refuses tokens whose claims are missing or are not ids", async () => {
    const without = (claim: string) => {
      const all = claims();
      delete all[claim];
      return all;
    };
    for (const claim of ["sub", "sid", "jti", "exp", "iat", "iss", "aud"])
      await expectRefused(await forge(without(claim)), "ATTENDEE_TOKEN_INVALID");
    await expectRefused(await forge(claims({ sub: "admin" })), "ATTENDEE_TOKEN_INVALID");
    await expectRefused(await forge(claims({ sub: attendeeId.toUpperCase() })), "ATTENDEE_TOKEN_INVALID");
    await expectRefused(await forge(claims({ sid: 42 })), "ATTENDEE_TOKEN_INVALID");
    await expectRefused(await forge(claims({ jti: "x" })), "ATTENDEE_TOKEN_INVALID");
    await expectRefused(
      await forge(claims({ exp: "tomorrow" } as unknown as JWTPayload)),
      "ATTENDEE_TOKEN_INVALID",
    );
  });

  it("refuses an expired token as expired", async () => {
    const issuedAt = Date.now() - TTL * 1000 - 60_000;
    const past = createAttendeeTokens({
      secret: SECRET,
      issuer: ISSUER,
      audience: AUDIENCE,
      revocations,
      now: () => issuedAt,
    });
    const { token } = await past.issue({ attendeeId, sessionId });
    expect(await past.verify(token)).toMatchObject({ attendeeId });
    await expectRefused(token, "ATTENDEE_TOKEN_EXPIRED");
  });

  it("expires a token at its exp, within a few seconds' clock tolerance", async () => {
    let clock = Date.now();
    const clocked = createAttendeeTokens({
      secret: SECRET,
      issuer: ISSUER,
      audience: AUDIENCE,
      revocations,
      now: () => clock,
    });
    const { token, expiresAt } = await clocked.issue({ attendeeId, sessionId });
    clock = expiresAt.getTime() - 1000;
    await expect(clocked.verify(token)).resolves.toMatchObject({ attendeeId });
    clock = expiresAt.getTime() + 10_000;
    const error = await refusal(clocked.verify(token), token);
    expect(error.code).toBe("ATTENDEE_TOKEN_EXPIRED");
  });

  it("refuses a token older than the TTL whatever its exp says", async () => {
    const iat = Math.floor(Date.now() / 1000) - TTL - 60;
    await expectRefused(await forge(claims({ iat, exp: iat + 10 * TTL })), "ATTENDEE_TOKEN_EXPIRED");
  });

  it("calls an expired forgery invalid, not expired", async () => {
    const iat = Math.floor(Date.now() / 1000) - TTL - 60;
    await expectRefused(
      await forge(claims({ iat, exp: iat + TTL }), { key: randomBytes(32) }),
      "ATTENDEE_TOKEN_INVALID",
    );
  });

  it("refuses a token for another session when the session is given", async () => {
    const { token } = await tokens.issue({ attendeeId, sessionId });
    await expectRefused(token, "ATTENDEE_TOKEN_WRONG_SESSION", 403, { sessionId: randomUUID() });
    await expect(tokens.verify(token, { sessionId })).resolves.toMatchObject({ sessionId });
    await expect(tokens.verify(token)).resolves.toMatchObject({ sessionId });
  });

  it("refuses a revoked attendee while another attendee of the same session still passes", async () => {
    const otherAttendee = randomUUID();
    const revokedToken = (await tokens.issue({ attendeeId, sessionId })).token;
    const otherToken = (await tokens.issue({ attendeeId: otherAttendee, sessionId })).token;
    await expect(tokens.verify(revokedToken, { sessionId })).resolves.toMatchObject({ attendeeId });

    await revocations.revoke(attendeeId);

    await expectRefused(revokedToken, "ATTENDEE_TOKEN_REVOKED", 401, { sessionId });
    // Revoked says more than "wrong session": the attendee is refused everywhere.
    await expectRefused(revokedToken, "ATTENDEE_TOKEN_REVOKED", 401, { sessionId: randomUUID() });
    await expect(tokens.verify(otherToken, { sessionId })).resolves.toMatchObject({
      attendeeId: otherAttendee,
    });
    // Nor can the revoked attendee get a fresh token.
    const error = await refusal(tokens.issue({ attendeeId, sessionId }), "");
    expect(error.code).toBe("ATTENDEE_TOKEN_REVOKED");
  });

  it("refuses weak secrets and a TTL longer than revocations are kept", () => {
    const base = { issuer: ISSUER, audience: AUDIENCE, revocations };
    expect(() => createAttendeeTokens({ ...base, secret: randomBytes(31) })).toThrow(/at least 32 bytes/);
    expect(() => createAttendeeTokens({ ...base, secret: "short-secret" })).toThrow(/at least 32 bytes/);
    expect(() => createAttendeeTokens({ ...base, secret: "s".repeat(32) })).not.toThrow();
    expect(() => createAttendeeTokens({ ...base, secret: SECRET, ttlSeconds: TTL + 1 })).toThrow(
      /revoked token/,
    );
    expect(() => createAttendeeTokens({ ...base, secret: SECRET, ttlSeconds: 0 })).toThrow(
      /positive integer/,
    );
    expect(() => createAttendeeTokens({ ...base, secret: SECRET, issuer: "" })).toThrow(/issuer/);
  });

  it("refuses to issue for ids that are not UUIDs", async () => {
    await expect(tokens.issue({ attendeeId: "alice", sessionId })).rejects.toThrow(
      /attendeeId must be a UUID/,
    );
    await expect(tokens.issue({ attendeeId, sessionId: "" })).rejects.toThrow(/sessionId must be a UUID/);
  });
});

describe("looksLikeJwt", () => {
  it("tells a compact JWT from an opaque bearer token", async () => {
    expect(looksLikeJwt((await tokens.issue({ attendeeId, sessionId })).token)).toBe(true);
    expect(looksLikeJwt("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")).toBe(true);
    // better-auth session tokens, plain and signed (token.signature, base64 with padding), and API keys.
    expect(looksLikeJwt("sAmPlEt0k3nW1thNoD0ts0123456789a")).toBe(false);
    expect(looksLikeJwt("sAmPlEt0k3n.c2lnbmF0dXJlK3dpdGgvcGFkZGluZw==")).toBe(false);
    expect(looksLikeJwt("pod_live_0123456789abcdef")).toBe(false);
    expect(looksLikeJwt("")).toBe(false);
    expect(looksLikeJwt("a.b.c.d")).toBe(false);
    expect(looksLikeJwt("a..c")).toBe(false);
    expect(looksLikeJwt("a.b.c\n")).toBe(false);
    expect(looksLikeJwt(`${"a".repeat(3000)}.b.c`)).toBe(false);
  });
});
