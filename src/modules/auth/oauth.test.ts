import { createHash, randomBytes } from "node:crypto";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../config/env.js";
import { createTestApp, TEST_AUTH_SECRET, type TestApp } from "../../../test/helpers/app.js";
import { createTestDatabase, type TestDatabase } from "../../../test/helpers/database.js";
import {
  createFakeProviders,
  type FakeProvider,
  type FakeProviders,
  type ProviderProfile,
} from "../../../test/helpers/oauth-providers.js";

/**
 * Sign-in end to end: the real app and better-auth's real provider code, against fake Google and GitHub
 * authorization servers (msw) that enforce what the real ones do: one-time codes bound to redirect_uri and
 * PKCE. Every refusal also checks that no session came out of it, in the response or in the database.
 */

const PUBLIC_URL = "http://localhost:3000";
const ORIGIN = { origin: PUBLIC_URL };
const SESSION_COOKIE = "podium.session_token";
const STATE_COOKIE = "podium.state";
const ADMIN_EMAIL = "boss@podium.example";
const UNVERIFIED_ADMIN_EMAIL = "deputy@podium.example";

const clients = {
  google: {
    clientId: "podium-test.apps.googleusercontent.com",
    clientSecret: "google-test-secret",
    redirectUri: `${PUBLIC_URL}/api/auth/callback/google`,
  },
  github: {
    clientId: "Iv1.podiumtest",
    clientSecret: "github-test-secret",
    redirectUri: `${PUBLIC_URL}/api/auth/callback/github`,
  },
};

const PROVIDER_ENV = {
  PUBLIC_URL,
  GOOGLE_CLIENT_ID: clients.google.clientId,
  GOOGLE_CLIENT_SECRET: clients.google.clientSecret,
  GITHUB_CLIENT_ID: clients.github.clientId,
  GITHUB_CLIENT_SECRET: clients.github.clientSecret,
  ADMIN_EMAILS: `${ADMIN_EMAIL},${UNVERIFIED_ADMIN_EMAIL}`,
  // Every test signs in from the same address; the sign-in limit is tested elsewhere.
  RATE_LIMIT_SIGN_IN_MAX: "100000",
};

type ProviderId = "google" | "github";
const PROVIDERS: ProviderId[] = ["google", "github"];

let fake: FakeProviders;
beforeAll(async () => {
  fake = await createFakeProviders(clients);
  fake.server.listen({ onUnhandledRequest: "bypass" });
});
afterAll(() => fake.server.close());

let people = 0;
/** A person unknown to the app so far, with a numeric subject (GitHub ids are numbers). */
function person(overrides: Partial<ProviderProfile> = {}): ProviderProfile {
  people += 1;
  const n = `${Date.now() % 1_000_000}${people}`;
  return {
    id: n,
    name: `Person ${n}`,
    email: `person-${n}@example.com`,
    emailVerified: true,
    avatarUrl: `https://avatars.example.com/${n}.png`,
    ...overrides,
  };
}

/** The cookies a browser would keep between requests. */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(response: LightMyRequestResponse): void {
    for (const cookie of response.cookies) {
      const expired =
        cookie.maxAge === 0 || (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now());
      if (expired || cookie.value === "") this.#cookies.delete(cookie.name);
      else this.#cookies.set(cookie.name, cookie.value);
    }
  }

  has(name: string): boolean {
    return this.#cookies.has(name);
  }

  get header(): Record<string, string> {
    const cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    return cookie ? { cookie } : {};
  }
}

function fakeOf(provider: ProviderId): FakeProvider {
  return fake[provider];
}

/** Step 1: the app answers with the provider's authorization URL and remembers the flow in a state cookie. */
async function beginSignIn(t: TestApp, provider: ProviderId) {
  const jar = new CookieJar();
  const response = await t.app.inject({
    method: "POST",
    url: "/api/auth/sign-in/social",
    headers: ORIGIN,
    payload: { provider, callbackURL: "/" },
  });
  expect(response.statusCode, response.body).toBe(200);
  jar.store(response);
  expect(jar.has(STATE_COOKIE)).toBe(true);
  return { jar, authorizationUrl: new URL((response.json() as { url: string }).url) };
}

/** Step 3: the browser comes back from the provider to the app's callback. */
async function callback(t: TestApp, path: string, jar: CookieJar) {
  const response = await t.app.inject({ method: "GET", url: path, headers: jar.header });
  jar.store(response);
  return response;
}

async function signIn(t: TestApp, provider: ProviderId, profile: ProviderProfile) {
  const { jar, authorizationUrl } = await beginSignIn(t, provider);
  const { callbackPath } = fakeOf(provider).authorize(authorizationUrl, profile);
  const response = await callback(t, callbackPath, jar);
  expect(response.statusCode, response.body).toBe(302);
  expect(response.headers.location).toBe("/");
  expect(jar.has(SESSION_COOKIE)).toBe(true);
  const bearer = response.headers["set-auth-token"];
  expect(typeof bearer).toBe("string");
  return { jar, bearer: bearer as string, cookie: jar.header };
}

async function me(t: TestApp, headers: Record<string, string>) {
  return t.app.inject({ method: "GET", url: "/api/me", headers });
}

async function meUser(t: TestApp, headers: Record<string, string>) {
  const response = await me(t, headers);
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as {
    kind: string;
    user: { id: string; name: string; email: string; image: string | null; role: string };
    workspaces: Array<{ role: string; personal: boolean }>;
  };
}

async function count(t: TestApp, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await t.db.pool.query<{ n: number }>(`select count(*)::int as n from ${sql}`, params);
  return rows[0]!.n;
}

function sessionCookieSet(response: LightMyRequestResponse): boolean {
  return response.cookies.some((c) => c.name === SESSION_COOKIE && c.value !== "" && c.maxAge !== 0);
}

/** A refused callback: redirected with an `error`, and no session anywhere (cookie, bearer header, database). */
async function expectRefused(
  t: TestApp,
  response: LightMyRequestResponse,
  sessionsBefore: number,
  error: string,
) {
  expect(response.statusCode, response.body).toBe(302);
  const location = new URL(response.headers.location as string, PUBLIC_URL);
  expect(location.searchParams.get("error")).toBe(error);
  expect(sessionCookieSet(response)).toBe(false);
  expect(response.headers["set-auth-token"]).toBeUndefined();
  expect(await count(t, "auth_sessions")).toBe(sessionsBefore);
}

describe("sign-in with Google and GitHub", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: PROVIDER_ENV });
  });
  afterAll(async () => t.close());

  it.each(PROVIDERS)(
    "%s: the authorization URL asks for a code with state and PKCE S256",
    async (provider) => {
      const { authorizationUrl } = await beginSignIn(t, provider);
      const params = authorizationUrl.searchParams;
      expect(params.get("response_type")).toBe("code");
      expect(params.get("client_id")).toBe(clients[provider].clientId);
      expect(params.get("redirect_uri")).toBe(clients[provider].redirectUri);
      expect(params.get("state")).toMatch(/^.{32,}$/);
      expect(params.get("code_challenge_method")).toBe("S256");
      expect(params.get("code_challenge")).toMatch(/^[\w-]{43}$/);
    },
  );

  it.each(PROVIDERS)("%s: completes sign-in; cookie and bearer both identify the user", async (provider) => {
    const profile = person();
    const { cookie, bearer } = await signIn(t, provider, profile);

    const last = fakeOf(provider).tokenRequests.at(-1)!;
    expect(last.error).toBeUndefined();
    expect(last.params.code_verifier).toMatch(/^.{43,128}$/);

    for (const headers of [cookie, { authorization: `Bearer ${bearer}` }]) {
      const body = await meUser(t, headers);
      expect(body.kind).toBe("user");
      expect(body.user).toMatchObject({
        name: profile.name,
        email: profile.email,
        image: profile.avatarUrl,
        role: "presenter",
      });
      expect(body.workspaces).toEqual([expect.objectContaining({ role: "owner", personal: true })]);
    }
    expect(await count(t, "users where email = $1", [profile.email])).toBe(1);
    expect(
      await count(t, "auth_accounts where provider_id = $1 and account_id = $2", [provider, profile.id]),
    ).toBe(1);
  });

  it.each(PROVIDERS)("%s: name and avatar follow the provider on every sign-in", async (provider) => {
    const profile = person();
    const first = await meUser(t, (await signIn(t, provider, profile)).cookie);

    profile.name = `${profile.name} (renamed)`;
    profile.avatarUrl = "https://avatars.example.com/new.png";
    const second = await meUser(t, (await signIn(t, provider, profile)).cookie);

    expect(second.user.id).toBe(first.user.id);
    expect(second.user).toMatchObject({ name: profile.name, image: profile.avatarUrl });
    expect(await count(t, "users where email = $1", [profile.email])).toBe(1);
    expect(await count(t, "auth_accounts where user_id = $1", [first.user.id])).toBe(1);
    expect(await count(t, "auth_sessions where user_id = $1", [first.user.id])).toBe(2);
  });

  it("links Google and GitHub accounts that share a verified email", async () => {
    const email = person().email;
    const viaGoogle = await meUser(t, (await signIn(t, "google", person({ email }))).cookie);
    const viaGithub = await meUser(t, (await signIn(t, "github", person({ email }))).cookie);

    expect(viaGithub.user.id).toBe(viaGoogle.user.id);
    expect(await count(t, "users where email = $1", [email])).toBe(1);
    const { rows } = await t.db.pool.query<{ provider_id: string }>(
      "select provider_id from auth_accounts where user_id = $1 order by provider_id",
      [viaGoogle.user.id],
    );
    expect(rows.map((r) => r.provider_id)).toEqual(["github", "google"]);
  });

  it("does not link an email the second provider has not verified", async () => {
    const email = person().email;
    const owner = await meUser(t, (await signIn(t, "google", person({ email }))).cookie);
    const sessionsBefore = await count(t, "auth_sessions");

    const { jar, authorizationUrl } = await beginSignIn(t, "github");
    const { callbackPath } = fake.github.authorize(authorizationUrl, person({ email, emailVerified: false }));
    const response = await callback(t, callbackPath, jar);

    await expectRefused(t, response, sessionsBefore, "account_not_linked");
    expect(jar.has(SESSION_COOKIE)).toBe(false);
    expect(await count(t, "users where email = $1", [email])).toBe(1);
    expect(await count(t, "auth_accounts where user_id = $1", [owner.user.id])).toBe(1);
  });

  it("makes an ADMIN_EMAILS user with a verified email a platform admin", async () => {
    const body = await meUser(t, (await signIn(t, "google", person({ email: ADMIN_EMAIL }))).cookie);
    expect(body.user.role).toBe("admin");
  });

  it("keeps an ADMIN_EMAILS address the provider has not verified a presenter", async () => {
    const profile = person({ email: UNVERIFIED_ADMIN_EMAIL, emailVerified: false });
    const body = await meUser(t, (await signIn(t, "github", profile)).cookie);
    expect(body.user.role).toBe("presenter");
  });

  it("signs out server-side: the old cookie and the old bearer token stop working", async () => {
    const { cookie, bearer } = await signIn(t, "github", person());
    const { user } = await meUser(t, cookie);
    expect(await count(t, "auth_sessions where user_id = $1", [user.id])).toBe(1);

    const signOut = await t.app.inject({
      method: "POST",
      url: "/api/auth/sign-out",
      headers: { ...cookie, ...ORIGIN },
    });
    expect(signOut.statusCode, signOut.body).toBe(200);
    expect(signOut.cookies.find((c) => c.name === SESSION_COOKIE)?.maxAge).toBe(0);

    expect(await count(t, "auth_sessions where user_id = $1", [user.id])).toBe(0);
    const withCookie = await me(t, cookie);
    expect(withCookie.statusCode).toBe(401);
    expect(withCookie.json().code).toBe("AUTHENTICATION_REQUIRED");
    const withBearer = await me(t, { authorization: `Bearer ${bearer}` });
    expect(withBearer.statusCode).toBe(401);
    expect(withBearer.json().code).toBe("INVALID_CREDENTIALS");
  });

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

  // Runs last in this block, over every exchange the app made above.
  it("sent a code_verifier with every token request", () => {
    const requests = [...fake.google.tokenRequests, ...fake.github.tokenRequests];
    expect(requests.length).toBeGreaterThan(10);
    for (const request of requests) expect(request.params.code_verifier).toMatch(/^[\w.~-]{43,128}$/);
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

describe("sessions across a restart", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database.drop());

  it("accepts the same cookie and bearer token on a new app over the same database", async () => {
    const before = await createTestApp({ env: PROVIDER_ENV, database });
    let credentials: Awaited<ReturnType<typeof signIn>>;
    let userId: string;
    try {
      credentials = await signIn(before, "google", person());
      userId = (await meUser(before, credentials.cookie)).user.id;
    } finally {
      await before.close();
    }

    const after = await createTestApp({ env: PROVIDER_ENV, database });
    try {
      expect((await meUser(after, credentials.cookie)).user.id).toBe(userId);
      expect((await meUser(after, { authorization: `Bearer ${credentials.bearer}` })).user.id).toBe(userId);
    } finally {
      await after.close();
    }
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

// Found while writing the profile-sync tests: overrideUserInfoOnSignIn copies the provider's *email* too.
describe("an email change at the provider", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: PROVIDER_ENV });
  });
  afterAll(async () => t.close());

  it("does not let an unverified address claim that email in Podium", async () => {
    const mallory = person();
    const before = await meUser(t, (await signIn(t, "github", mallory)).cookie);
    const victimEmail = person().email;
    // GitHub lets anyone add any address to their account; it stays unverified.
    Object.assign(mallory, { email: victimEmail, emailVerified: false });
    const after = await meUser(t, (await signIn(t, "github", mallory)).cookie);
    expect(after.user.email).toBe(before.user.email);

    const victim = await meUser(t, (await signIn(t, "google", person({ email: victimEmail }))).cookie);
    expect(victim.user).toMatchObject({ email: victimEmail });
    expect(victim.user.id).not.toBe(before.user.id);
  });

  it("answers a clash with another user's email without a 500 and leaves that user alone", async () => {
    const alice = person();
    const aliceBefore = await meUser(t, (await signIn(t, "google", alice)).cookie);
    const bob = person();
    await signIn(t, "github", bob);
    bob.email = alice.email;

    const { jar, authorizationUrl } = await beginSignIn(t, "github");
    const response = await callback(t, fake.github.authorize(authorizationUrl, bob).callbackPath, jar);

    expect(response.statusCode, response.body).toBe(302);
    const { rows } = await t.db.pool.query<{ id: string }>("select id from users where email = $1", [
      alice.email,
    ]);
    expect(rows).toEqual([{ id: aliceBefore.user.id }]);
  });
});
