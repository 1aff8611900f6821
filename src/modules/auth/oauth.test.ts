import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { createTestDatabase, type TestDatabase } from "../../../test/helpers/database.js";
import {
  ADMIN_EMAIL,
  beginSignIn,
  callback,
  clients,
  count,
  expectRefused,
  fakeOf,
  me,
  meUser,
  ORIGIN,
  person,
  PROVIDER_ENV,
  PROVIDERS,
  SESSION_COOKIE,
  signIn,
  startFakeProviders,
  stopFakeProviders,
  UNVERIFIED_ADMIN_EMAIL,
} from "../../../test/helpers/oauth-flow.js";
import type { FakeProviders } from "../../../test/helpers/oauth-providers.js";

/**
 * Sign-in end to end: the real app and better-auth's real provider code, against fake Google and GitHub
 * authorization servers (msw) that enforce what the real ones do: one-time codes bound to redirect_uri and
 * PKCE. The refusals (forged or replayed callbacks, spent codes, PKCE mismatches, provider errors) and the
 * development sign-in are in oauth.refusals.test.ts; the shared flow is in test/helpers/oauth-flow.ts.
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

  // Runs last in this block, over every exchange the app made above (13 of them). It stays in this file:
  // oauth.refusals.test.ts makes fewer, and its fake-provider checks omit the verifier on purpose.
  it("sent a code_verifier with every token request", () => {
    const requests = [...fake.google.tokenRequests, ...fake.github.tokenRequests];
    expect(requests.length).toBeGreaterThan(10);
    for (const request of requests) expect(request.params.code_verifier).toMatch(/^[\w.~-]{43,128}$/);
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
