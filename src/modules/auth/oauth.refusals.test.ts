import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../config/env.js";
import { createTestApp, TEST_AUTH_SECRET, type TestApp } from "../../../test/helpers/app.js";
import { createTestDatabase } from "../../../test/helpers/database.js";
import {
  beginSignIn,
  callback,
  clients,
  CookieJar,
  count,
  expectRefused,
  fakeOf,
  meUser,
  ORIGIN,
  person,
  PROVIDER_ENV,
  PROVIDERS,
  PUBLIC_URL,
  SESSION_COOKIE,
  sessionCookieSet,
  signIn as signInWith,
  startFakeProviders,
  stopFakeProviders,
  type ProviderId,
} from "../../../test/helpers/oauth-flow.js";
import type { FakeProviders } from "../../../test/helpers/oauth-providers.js";

/**
 * Sign-in that must not happen, end to end against the fake Google and GitHub of oauth-providers.ts: forged,
 * cross-flow and replayed callbacks, spent codes, PKCE mismatches and provider errors, then the development
 * sign-in. Every refusal also checks that no session came out of it, in the response or in the database.
 * The successful sign-ins are in oauth.test.ts; the shared flow is in test/helpers/oauth-flow.ts.
 */

let fake: FakeProviders;
beforeAll(async () => {
  fake = await startFakeProviders();
});
afterAll(() => stopFakeProviders());

describe("sign-in with Google and GitHub", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: PROVIDER_ENV });
  });
  afterAll(async () => t.close());

  it("refuses a state the app never issued", async () => {
    const sessionsBefore = await count(t, "auth_sessions");
    const { jar, authorizationUrl } = await beginSignIn(t, "google");
    const { code } = fake.google.authorize(authorizationUrl, person());
    const forged = randomBytes(24).toString("base64url");
    const exchanges = fake.google.tokenRequests.length;

    for (const cookies of [jar, new CookieJar()]) {
      const response = await callback(t, `/api/auth/callback/google?code=${code}&state=${forged}`, cookies);
      await expectRefused(t, response, sessionsBefore, "state_mismatch");
    }
    // Refused before the code exchange: the app never spent the code.
    expect(fake.google.tokenRequests.length).toBe(exchanges);
  });

  it.each(PROVIDERS)("%s: refuses another flow's state without that flow's cookie", async (provider) => {
    const sessionsBefore = await count(t, "auth_sessions");
    const victim = await beginSignIn(t, provider);
    const attacker = await beginSignIn(t, provider);
    // The attacker's own code and state, replayed in the victim's browser (login CSRF), or with no cookie.
    const { callbackPath } = fakeOf(provider).authorize(attacker.authorizationUrl, person());
    const exchanges = fakeOf(provider).tokenRequests.length;

    for (const jar of [victim.jar, new CookieJar()]) {
      await expectRefused(t, await callback(t, callbackPath, jar), sessionsBefore, "state_mismatch");
    }
    expect(fakeOf(provider).tokenRequests.length).toBe(exchanges);
  });

  it.each(PROVIDERS)("%s: refuses a replayed callback (same code and state)", async (provider) => {
    const { jar, authorizationUrl } = await beginSignIn(t, provider);
    const replayCookies = jar.header;
    const { callbackPath } = fakeOf(provider).authorize(authorizationUrl, person());
    expect((await callback(t, callbackPath, jar)).statusCode).toBe(302);
    expect(jar.has(SESSION_COOKIE)).toBe(true);
    const sessionsBefore = await count(t, "auth_sessions");

    const replay = await t.app.inject({ method: "GET", url: callbackPath, headers: replayCookies });
    await expectRefused(t, replay, sessionsBefore, "state_mismatch");
  });

  it.each(PROVIDERS)(
    "%s: a spent code is refused by the provider even under a fresh state",
    async (provider) => {
      const first = await beginSignIn(t, provider);
      const { code } = fakeOf(provider).authorize(first.authorizationUrl, person());
      const firstPath = `/api/auth/callback/${provider}?code=${code}&state=${first.authorizationUrl.searchParams.get("state")}`;
      expect((await callback(t, firstPath, first.jar)).statusCode).toBe(302);
      const sessionsBefore = await count(t, "auth_sessions");

      const fresh = await beginSignIn(t, provider);
      const state = fresh.authorizationUrl.searchParams.get("state")!;
      const response = await callback(
        t,
        `/api/auth/callback/${provider}?code=${code}&state=${state}`,
        fresh.jar,
      );

      await expectRefused(t, response, sessionsBefore, "invalid_code");
      expect(fakeOf(provider).tokenRequests.at(-1)).toMatchObject({
        error: "invalid_grant",
        reason: "code already used",
      });
    },
  );

  it.each(PROVIDERS)("%s: refuses a code bound to another flow's PKCE challenge", async (provider) => {
    const sessionsBefore = await count(t, "auth_sessions");
    const flowA = await beginSignIn(t, provider);
    const flowB = await beginSignIn(t, provider);
    const { code } = fakeOf(provider).authorize(flowB.authorizationUrl, person());
    const stateA = flowA.authorizationUrl.searchParams.get("state")!;

    // A's state and cookie are genuine, so the app exchanges B's code with A's verifier.
    const response = await callback(
      t,
      `/api/auth/callback/${provider}?code=${code}&state=${stateA}`,
      flowA.jar,
    );

    await expectRefused(t, response, sessionsBefore, "invalid_code");
    expect(fakeOf(provider).tokenRequests.at(-1)).toMatchObject({
      error: "invalid_grant",
      reason: "code_verifier does not match code_challenge",
    });
  });

  it.each(PROVIDERS)(
    "%s: a provider error on the callback ends the flow without a session",
    async (provider) => {
      const sessionsBefore = await count(t, "auth_sessions");
      const { jar, authorizationUrl } = await beginSignIn(t, provider);
      const exchanges = fakeOf(provider).tokenRequests.length;

      const response = await callback(t, fakeOf(provider).deny(authorizationUrl), jar);

      await expectRefused(t, response, sessionsBefore, "access_denied");
      expect(fakeOf(provider).tokenRequests.length).toBe(exchanges);
    },
  );

  it("has no development sign-in next to a real provider", async () => {
    const response = await t.app.inject({
      method: "POST",
      url: "/api/auth/dev/sign-in",
      headers: ORIGIN,
      payload: { name: "Mallory", email: "mallory@example.com" },
    });
    expect(response.statusCode).toBe(404);
    expect(sessionCookieSet(response)).toBe(false);
  });
});

describe("the fake providers enforce what the real ones do", () => {
  /** A hand-written client, so the fake's own checks are exercised apart from the app. */
  async function exchange(provider: ProviderId, params: Record<string, string>) {
    const endpoint =
      provider === "google"
        ? "https://oauth2.googleapis.com/token"
        : "https://github.com/login/oauth/access_token";
    const response = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: clients[provider].clientId,
        client_secret: clients[provider].clientSecret,
        redirect_uri: clients[provider].redirectUri,
        ...params,
      }),
    });
    return (await response.json()) as { error?: string; access_token?: string; id_token?: string };
  }

  function authorize(provider: ProviderId, verifier: string) {
    const url = new URL(fakeOf(provider).authorizationEndpoint);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: clients[provider].clientId,
      redirect_uri: clients[provider].redirectUri,
      state: "s",
      code_challenge: createHash("sha256").update(verifier).digest("base64url"),
      code_challenge_method: "S256",
    }).toString();
    return fakeOf(provider).authorize(url, person()).code;
  }

  it.each(PROVIDERS)("%s: a code works once, and only with its verifier", async (provider) => {
    const verifier = randomBytes(48).toString("base64url");
    const code = authorize(provider, verifier);
    expect((await exchange(provider, { code, code_verifier: verifier })).access_token).toBeTruthy();
    expect((await exchange(provider, { code, code_verifier: verifier })).error).toBe("invalid_grant");

    expect((await exchange(provider, { code: authorize(provider, verifier) })).error).toBe("invalid_grant");
    expect(fakeOf(provider).tokenRequests.at(-1)?.reason).toBe("missing code_verifier");
    const wrong = await exchange(provider, {
      code: authorize(provider, verifier),
      code_verifier: `${verifier}x`,
    });
    expect(wrong.error).toBe("invalid_grant");
    const badSecret = await exchange(provider, {
      code: authorize(provider, verifier),
      code_verifier: verifier,
      client_secret: "nope",
    });
    expect(badSecret.error).toBe("invalid_client");
  });

  it("signs Google ID tokens with the key published at the JWKS URL", async () => {
    const { createRemoteJWKSet, jwtVerify } = await import("jose");
    const verifier = randomBytes(48).toString("base64url");
    const { id_token } = await exchange("google", {
      code: authorize("google", verifier),
      code_verifier: verifier,
    });
    const jwks = createRemoteJWKSet(new URL("https://www.googleapis.com/oauth2/v3/certs"));
    const { payload } = await jwtVerify(id_token!, jwks, {
      issuer: "https://accounts.google.com",
      audience: clients.google.clientId,
    });
    expect(payload).toMatchObject({ email_verified: true, sub: expect.any(String) });
  });
});

describe("development sign-in", () => {
  it("works in the default test configuration (no provider, NODE_ENV test)", async () => {
    const t = await createTestApp();
    try {
      const response = await t.app.inject({
        method: "POST",
        url: "/api/auth/dev/sign-in",
        headers: ORIGIN,
        payload: { name: "Dev", email: "dev@example.com" },
      });
      expect(response.statusCode, response.body).toBe(200);
      expect(sessionCookieSet(response)).toBe(true);
      const jar = new CookieJar();
      jar.store(response);
      expect((await meUser(t, jar.header)).user).toMatchObject({ name: "Dev", email: "dev@example.com" });
    } finally {
      await t.close();
    }
  });

  it("never signs into an account that belongs to a provider", async () => {
    const database = await createTestDatabase();
    const withProvider = await createTestApp({ env: PROVIDER_ENV, database });
    const email = `owner.${randomBytes(3).toString("hex")}@example.com`;
    try {
      await signInWith(withProvider, "google", person({ email }));
    } finally {
      await withProvider.close();
    }
    // The same database, later served with no provider configured (development sign-in on).
    const t = await createTestApp({ database });
    try {
      const response = await t.app.inject({
        method: "POST",
        url: "/api/auth/dev/sign-in",
        headers: ORIGIN,
        payload: { name: "Impostor", email },
      });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: "PROVIDER_ACCOUNT" });
      expect(sessionCookieSet(response)).toBe(false);
    } finally {
      await t.close();
      await database.drop();
    }
  });

  it("does not exist in production", async () => {
    const t = await createTestApp({
      env: {
        NODE_ENV: "production",
        PUBLIC_URL,
        AUTH_SECRET: TEST_AUTH_SECRET,
        GOOGLE_CLIENT_ID: clients.google.clientId,
        GOOGLE_CLIENT_SECRET: clients.google.clientSecret,
      },
    });
    try {
      const response = await t.app.inject({
        method: "POST",
        url: "/api/auth/dev/sign-in",
        headers: ORIGIN,
        payload: { name: "Dev", email: "dev@example.com" },
      });
      expect(response.statusCode).toBe(404);
      expect(sessionCookieSet(response)).toBe(false);
      expect(await count(t, "auth_sessions")).toBe(0);
    } finally {
      await t.close();
    }
  });

  it("is no reason to start production without a provider: loadConfig names the variables", () => {
    const production = { NODE_ENV: "production", PUBLIC_URL, AUTH_SECRET: TEST_AUTH_SECRET };
    expect(() => loadConfig(production)).toThrow(ConfigError);
    expect(() => loadConfig(production)).toThrow(/GOOGLE_CLIENT_ID.*GITHUB_CLIENT_ID/);
    expect(() =>
      loadConfig({ ...production, GITHUB_CLIENT_ID: "id", GITHUB_CLIENT_SECRET: "secret" }),
    ).not.toThrow();
  });
});
