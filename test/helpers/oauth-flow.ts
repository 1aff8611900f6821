import type { LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import type { TestApp } from "./app.js";
import {
  createFakeProviders,
  type FakeProvider,
  type FakeProviders,
  type ProviderProfile,
} from "./oauth-providers.js";

/**
 * Driving a sign-in end to end, for the OAuth test files: the configuration the app is started with, a
 * browser's side of the flow against the fake providers of ./oauth-providers.ts, and the checks both files
 * share. Each test file starts and stops the fake providers itself (`startFakeProviders` in `beforeAll`,
 * `stopFakeProviders` in `afterAll`); Vitest runs every file in a process of its own, with its own copy of
 * this module.
 */

/** The app's public URL in these tests; the registered callbacks live under it. */
export const PUBLIC_URL = "http://localhost:3000";
/** The Origin header a browser sends with the app's own POSTs (better-auth checks it). */
export const ORIGIN = { origin: PUBLIC_URL };
export const SESSION_COOKIE = "podium.session_token";
/** better-auth's cookie that ties a callback to the browser that began the flow. */
export const STATE_COOKIE = "podium.state";
/** In ADMIN_EMAILS. */
export const ADMIN_EMAIL = "boss@podium.example";
/** Also in ADMIN_EMAILS; the tests sign it in with an email the provider has not verified. */
export const UNVERIFIED_ADMIN_EMAIL = "deputy@podium.example";

/** The OAuth clients registered at the fake providers, and the app's credentials for them. */
export const clients = {
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

/** The app's environment with both providers configured (no development sign-in). */
export const PROVIDER_ENV = {
  PUBLIC_URL,
  GOOGLE_CLIENT_ID: clients.google.clientId,
  GOOGLE_CLIENT_SECRET: clients.google.clientSecret,
  GITHUB_CLIENT_ID: clients.github.clientId,
  GITHUB_CLIENT_SECRET: clients.github.clientSecret,
  ADMIN_EMAILS: `${ADMIN_EMAIL},${UNVERIFIED_ADMIN_EMAIL}`,
  // Every test signs in from the same address; the sign-in limit is tested elsewhere.
  RATE_LIMIT_SIGN_IN_MAX: "100000",
};

export type ProviderId = "google" | "github";
/** For `it.each`. */
export const PROVIDERS: ProviderId[] = ["google", "github"];

let fake: FakeProviders | undefined;

/** Creates the fake providers and starts their msw server; call in the test file's `beforeAll`. */
export async function startFakeProviders(): Promise<FakeProviders> {
  if (fake) throw new Error("the fake providers are already running in this test file");
  fake = await createFakeProviders(clients);
  fake.server.listen({ onUnhandledRequest: "bypass" });
  return fake;
}

/** Stops the msw server started by `startFakeProviders`; call in the test file's `afterAll`. */
export function stopFakeProviders(): void {
  fake?.server.close();
  fake = undefined;
}

/** The running fake of one provider. */
export function fakeOf(provider: ProviderId): FakeProvider {
  if (!fake) throw new Error("the fake providers are not running: call startFakeProviders() in beforeAll");
  return fake[provider];
}

let people = 0;
/** A person unknown to the app so far, with a numeric subject (GitHub ids are numbers). */
export function person(overrides: Partial<ProviderProfile> = {}): ProviderProfile {
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
export class CookieJar {
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

/** Step 1: the app answers with the provider's authorization URL and remembers the flow in a state cookie. */
export async function beginSignIn(t: TestApp, provider: ProviderId) {
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
export async function callback(t: TestApp, path: string, jar: CookieJar) {
  const response = await t.app.inject({ method: "GET", url: path, headers: jar.header });
  jar.store(response);
  return response;
}

/** A whole successful sign-in as `profile`: returns the browser's jar, its cookie header and the bearer token. */
export async function signIn(t: TestApp, provider: ProviderId, profile: ProviderProfile) {
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

/** GET /api/me with the given credentials, whatever the answer. */
export async function me(t: TestApp, headers: Record<string, string>) {
  return t.app.inject({ method: "GET", url: "/api/me", headers });
}

/** GET /api/me, expected to succeed: the signed-in user and their workspaces. */
export async function meUser(t: TestApp, headers: Record<string, string>) {
  const response = await me(t, headers);
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as {
    kind: string;
    user: { id: string; name: string; email: string; image: string | null; role: string };
    workspaces: Array<{ role: string; personal: boolean }>;
  };
}

/** `select count(*) from <sql>` on the app's database, e.g. `count(t, "users where email = $1", [email])`. */
export async function count(t: TestApp, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await t.db.pool.query<{ n: number }>(`select count(*)::int as n from ${sql}`, params);
  return rows[0]!.n;
}

/** Whether the response hands the browser a session cookie (rather than clearing it or setting none). */
export function sessionCookieSet(response: LightMyRequestResponse): boolean {
  return response.cookies.some((c) => c.name === SESSION_COOKIE && c.value !== "" && c.maxAge !== 0);
}

/** A refused callback: redirected with an `error`, and no session anywhere (cookie, bearer header, database). */
export async function expectRefused(
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
