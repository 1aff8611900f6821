import { createHash, randomBytes } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { http, HttpResponse, type HttpHandler } from "msw";
import { setupServer, type SetupServer } from "msw/node";

/**
 * Fake Google and GitHub authorization servers for sign-in tests. msw answers the providers' real URLs, so
 * better-auth's own provider code (token exchange, ID token, user and email look-ups) runs unchanged. Like a
 * real authorization server they bind a one-time code to the client, redirect_uri and PKCE challenge of the
 * authorization request, so a test can tell whether the app sends what a real provider would insist on.
 */

/** What the provider knows about a person; the test changes it between sign-ins. */
export interface ProviderProfile {
  /** Stable subject at the provider: Google `sub`, GitHub numeric `id` (as a string). */
  id: string;
  name: string;
  email: string;
  emailVerified: boolean;
  avatarUrl: string | null;
  /** GitHub's handle; derived from the email when absent. */
  login?: string;
}

export interface RegisteredClient {
  clientId: string;
  clientSecret: string;
  /** The one callback registered for the client: providers refuse any other. */
  redirectUri: string;
}

/** One call the app made to a token endpoint, and how the provider answered it. */
export interface TokenRequest {
  params: Record<string, string>;
  /** The OAuth error code sent back, or undefined when tokens were issued. */
  error?: string;
  reason?: string;
}

export interface Authorization {
  code: string;
  state: string;
  /** Path and query of the app's callback, ready for `app.inject`. */
  callbackPath: string;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  nonce: string | undefined;
  subject: string;
  used: boolean;
}

class OAuthRefusal extends Error {
  constructor(
    readonly error: string,
    readonly reason: string,
    readonly status = 400,
  ) {
    super(reason);
  }
}

export class FakeProvider {
  readonly tokenRequests: TokenRequest[] = [];
  readonly #profiles = new Map<string, ProviderProfile>();
  readonly #grants = new Map<string, Grant>();
  readonly #accessTokens = new Map<string, string>();

  constructor(
    readonly id: "google" | "github",
    readonly client: RegisteredClient,
    readonly authorizationEndpoint: string,
  ) {}

  /**
   * The person signs in at the provider and consents: checks the request as a provider would (known client,
   * registered redirect_uri, PKCE with S256 mandatory) and returns the code the provider redirects back with.
   * The profile given here becomes what the provider holds for that subject from now on.
   */
  authorize(authorizationUrl: string | URL, profile: ProviderProfile): Authorization {
    const request = this.#authorizationRequest(authorizationUrl);
    const challenge = request.get("code_challenge");
    if (!challenge || request.get("code_challenge_method") !== "S256") {
      throw new Error(`${this.id}: this client must use PKCE with S256: ${String(authorizationUrl)}`);
    }
    this.#profiles.set(profile.id, { ...profile });
    const code = token("code");
    this.#grants.set(code, {
      clientId: this.client.clientId,
      redirectUri: this.client.redirectUri,
      codeChallenge: challenge,
      nonce: request.get("nonce") ?? undefined,
      subject: profile.id,
      used: false,
    });
    const state = request.get("state") ?? "";
    return { code, state, callbackPath: callbackPath(this.client.redirectUri, { code, state }) };
  }

  /** The person refuses consent: the provider redirects back with `error` and the state, without a code. */
  deny(authorizationUrl: string | URL, error = "access_denied"): string {
    const state = this.#authorizationRequest(authorizationUrl).get("state") ?? "";
    return callbackPath(this.client.redirectUri, { error, state });
  }

  /** The profile behind an access token the provider issued (GitHub's API calls use it). */
  profileFor(authorization: string | null): ProviderProfile | undefined {
    const subject = this.#accessTokens.get(authorization?.replace(/^bearer /i, "") ?? "");
    return subject === undefined ? undefined : this.#profiles.get(subject);
  }

  /**
   * The token endpoint's checks, in a real server's order. The code is spent as soon as its own client
   * presents it, even when a later check fails: a refused attempt must not leave it open for another guess.
   */
  async exchange(request: Request): Promise<{ grant: Grant; profile: ProviderProfile; accessToken: string }> {
    const params = Object.fromEntries(new URLSearchParams(await request.text()));
    const entry: TokenRequest = { params };
    this.tokenRequests.push(entry);
    try {
      const [basicId, basicSecret] = basicCredentials(request.headers.get("authorization"));
      const clientId = params.client_id ?? basicId;
      const clientSecret = params.client_secret ?? basicSecret;
      if (params.grant_type !== "authorization_code") {
        throw new OAuthRefusal("unsupported_grant_type", `grant_type ${params.grant_type}`);
      }
      if (clientId !== this.client.clientId || clientSecret !== this.client.clientSecret) {
        throw new OAuthRefusal("invalid_client", "unknown client or wrong secret", 401);
      }
      const grant = params.code === undefined ? undefined : this.#grants.get(params.code);
      if (!grant || grant.clientId !== clientId) throw new OAuthRefusal("invalid_grant", "unknown code");
      if (grant.used) throw new OAuthRefusal("invalid_grant", "code already used");
      grant.used = true;
      if (params.redirect_uri !== grant.redirectUri) {
        throw new OAuthRefusal("invalid_grant", "redirect_uri differs from the authorization request");
      }
      if (!params.code_verifier) throw new OAuthRefusal("invalid_grant", "missing code_verifier");
      if (s256(params.code_verifier) !== grant.codeChallenge) {
        throw new OAuthRefusal("invalid_grant", "code_verifier does not match code_challenge");
      }
      const profile = this.#profiles.get(grant.subject);
      if (!profile) throw new OAuthRefusal("invalid_grant", "the user is gone");
      const accessToken = token(`${this.id}-at`);
      this.#accessTokens.set(accessToken, grant.subject);
      return { grant, profile, accessToken };
    } catch (error) {
      if (error instanceof OAuthRefusal) Object.assign(entry, { error: error.error, reason: error.reason });
      throw error;
    }
  }

  #authorizationRequest(authorizationUrl: string | URL): URLSearchParams {
    const url = new URL(authorizationUrl);
    const params = url.searchParams;
    if (`${url.origin}${url.pathname}` !== this.authorizationEndpoint) {
      throw new Error(`${this.id}: not this provider's authorization endpoint: ${url.href}`);
    }
    if (params.get("response_type") !== "code") throw new Error(`${this.id}: response_type must be code`);
    if (params.get("client_id") !== this.client.clientId) throw new Error(`${this.id}: unknown client_id`);
    if (params.get("redirect_uri") !== this.client.redirectUri) {
      throw new Error(`${this.id}: redirect_uri ${params.get("redirect_uri")} is not registered`);
    }
    if (!params.get("state")) throw new Error(`${this.id}: the request carries no state`);
    return params;
  }
}

export interface FakeProviders {
  google: FakeProvider;
  github: FakeProvider;
  /** Not listening yet: the test calls `server.listen(...)` and `server.close()`. */
  server: SetupServer;
}

export async function createFakeProviders(clients: {
  google: RegisteredClient;
  github: RegisteredClient;
}): Promise<FakeProviders> {
  const google = new FakeProvider("google", clients.google, "https://accounts.google.com/o/oauth2/v2/auth");
  const github = new FakeProvider("github", clients.github, "https://github.com/login/oauth/authorize");
  const signing = await googleSigningKey();
  const server = setupServer(...googleHandlers(google, signing), ...githubHandlers(github));
  return { google, github, server };
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function googleSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const kid = token("kid");
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

function googleHandlers(google: FakeProvider, key: SigningKey): HttpHandler[] {
  return [
    http.post("https://oauth2.googleapis.com/token", async ({ request }) => {
      try {
        const { grant, profile, accessToken } = await google.exchange(request);
        const now = Math.floor(Date.now() / 1000);
        const idToken = await new SignJWT({
          azp: grant.clientId,
          email: profile.email,
          email_verified: profile.emailVerified,
          name: profile.name,
          picture: profile.avatarUrl ?? undefined,
          ...(grant.nonce && { nonce: grant.nonce }),
        })
          .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
          .setIssuer("https://accounts.google.com")
          .setAudience(grant.clientId)
          .setSubject(profile.id)
          .setIssuedAt(now)
          .setExpirationTime(now + 3600)
          .sign(key.privateKey);
        return HttpResponse.json({
          access_token: accessToken,
          expires_in: 3599,
          scope:
            "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile",
          token_type: "Bearer",
          id_token: idToken,
        });
      } catch (error) {
        if (!(error instanceof OAuthRefusal)) throw error;
        // Google answers refusals with a 4xx status, like RFC 6749 section 5.2.
        return HttpResponse.json(
          { error: error.error, error_description: error.reason },
          { status: error.status },
        );
      }
    }),
    http.get("https://www.googleapis.com/oauth2/v3/certs", () =>
      HttpResponse.json({ keys: [key.publicJwk] }),
    ),
  ];
}

function githubHandlers(github: FakeProvider): HttpHandler[] {
  return [
    http.post("https://github.com/login/oauth/access_token", async ({ request }) => {
      try {
        const { accessToken } = await github.exchange(request);
        return HttpResponse.json({
          access_token: accessToken,
          token_type: "bearer",
          scope: "read:user,user:email",
        });
      } catch (error) {
        if (!(error instanceof OAuthRefusal)) throw error;
        // GitHub answers a refused exchange with 200 and an `error` field: the app must not trust the status.
        return HttpResponse.json({ error: error.error, error_description: error.reason });
      }
    }),
    http.get("https://api.github.com/user", ({ request }) => {
      const profile = github.profileFor(request.headers.get("authorization"));
      if (!profile) return HttpResponse.json({ message: "Bad credentials" }, { status: 401 });
      const login = githubLogin(profile);
      // `email` is the public email, null for most people: the app has to ask /user/emails for the primary one.
      return HttpResponse.json({
        id: Number(profile.id),
        login,
        name: profile.name,
        email: null,
        avatar_url: profile.avatarUrl,
      });
    }),
    http.get("https://api.github.com/user/emails", ({ request }) => {
      const profile = github.profileFor(request.headers.get("authorization"));
      if (!profile) return HttpResponse.json({ message: "Bad credentials" }, { status: 401 });
      // The always-verified noreply address comes first, so an app that takes the first entry gets it wrong.
      return HttpResponse.json([
        {
          email: `${profile.id}+${githubLogin(profile)}@users.noreply.github.com`,
          primary: false,
          verified: true,
          visibility: null,
        },
        { email: profile.email, primary: true, verified: profile.emailVerified, visibility: "private" },
      ]);
    }),
  ];
}

function githubLogin(profile: ProviderProfile): string {
  return profile.login ?? profile.email.split("@")[0]!.replace(/[^a-z0-9-]/gi, "-");
}

function callbackPath(redirectUri: string, params: Record<string, string>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return `${url.pathname}${url.search}`;
}

function basicCredentials(header: string | null): [string | undefined, string | undefined] {
  if (!header?.toLowerCase().startsWith("basic ")) return [undefined, undefined];
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return [decodeURIComponent(decoded.slice(0, colon)), decodeURIComponent(decoded.slice(colon + 1))];
}

function s256(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

function token(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString("base64url")}`;
}
