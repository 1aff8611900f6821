import { apiKey } from "@better-auth/api-key";
import { betterAuth, type BetterAuthOptions } from "better-auth";
import { APIError, createAuthMiddleware } from "better-auth/api";
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { admin, bearer, organization } from "better-auth/plugins";
import type { Logger } from "pino";
import type { Config } from "../../config/env.js";
import type { Database } from "../../db/client.js";
import { AppError } from "../../lib/errors.js";
import * as schema from "../../db/schema.js";
import { apiKeySchemaOptions, authSchemaOptions, workspaceSchemaOptions } from "./auth.schema-options.js";
import { devSignIn } from "./dev-sign-in.js";

/** The header the HTTP layer sets to the client address it trusts (see plugins/auth.ts); callers cannot set it. */
export const CLIENT_IP_HEADER = "x-podium-client-ip";
export const SESSION_COOKIE_PREFIX = "podium";
/** The session cookie's name (behind `__Secure-` on https). */
export const SESSION_COOKIE = `${SESSION_COOKIE_PREFIX}.session_token`;
export const PLATFORM_ROLES = ["admin", "presenter"] as const;
export type PlatformRole = (typeof PLATFORM_ROLES)[number];

const CALLER_MISTAKES = /^Failed to validate API key/;

/**
 * What must happen before a workspace or a user is deleted, whose sessions the database would otherwise delete by
 * cascade (sessions.service.ts `removeAllIn`: it may refuse, with an AppError). Set once the sessions service exists,
 * which is built after the auth services.
 */
export interface AccountRemovals {
  workspace(workspaceId: string): Promise<void>;
  user(userId: string): Promise<void>;
  /** Refuses, changing nothing, if `user` would: asked before better-auth starts removing the user. */
  userRemovable(userId: string): Promise<void>;
}

export interface AuthDeps {
  config: Config;
  secret: string;
  db: Database;
  logger: Logger;
  removals: { current: AccountRemovals | null };
}

/** Whether the name-and-email sign-in is installed: never in production, never next to a real provider. */
export function devSignInEnabled(config: Config): boolean {
  return config.nodeEnv !== "production" && !config.auth.google && !config.auth.github;
}

/** better-auth's admin roles: the platform role `admin` (ADMIN_EMAILS), allowed to manage and remove users. */
const ADMIN_ROLES = ["admin"];

/**
 * better-auth, configured for Podium: Google and GitHub (authorization code with PKCE and state), sessions in
 * PostgreSQL, bearer tokens, API keys, platform
 * roles (admin plugin) and workspaces (organization plugin). Rate limiting is ours (plugins/rate-limit.ts).
 */
export function createAuth({ config, secret, db, logger, removals }: AuthDeps) {
  const log = logger.child({ module: "auth" });
  const adminEmails = new Set(config.auth.adminEmails);
  const providerOptions = {
    // Name and picture follow the provider on every sign-in, not only the first.
    overrideUserInfoOnSignIn: true,
  };
  const options = {
    ...authSchemaOptions,
    appName: "Podium",
    baseURL: config.auth.publicUrl,
    basePath: "/api/auth",
    secret,
    database: drizzleAdapter(db, { provider: "pg", schema }),
    // No secondaryStorage: better-auth deletes a session's Redis copy only after its database commit, and only
    // logs when that fails, so a sign-out or ban during a Redis outage would come undone when Redis returns.
    // Sessions live in PostgreSQL alone; speed comes from our cache (session-cache.ts), which Redis only
    // invalidates.
    trustedOrigins: config.auth.trustedOrigins,
    socialProviders: {
      ...(config.auth.google && {
        google: { ...config.auth.google, ...providerOptions, prompt: "select_account" },
      }),
      ...(config.auth.github && { github: { ...config.auth.github, ...providerOptions } }),
    },
    account: {
      ...authSchemaOptions.account,
      // A provider account joins an existing user only when the provider vouches for the email
      // (email_verified / GitHub's verified flag) and the existing user's email is verified too.
      accountLinking: { enabled: true, trustedProviders: [], allowDifferentEmails: false },
      updateAccountOnSignIn: true,
      encryptOAuthTokens: true,
    },
    session: {
      ...authSchemaOptions.session,
      expiresIn: 60 * 60 * 24 * 7,
      updateAge: 60 * 60 * 24,
    },
    rateLimit: { enabled: false },
    advanced: {
      ...authSchemaOptions.advanced,
      cookiePrefix: SESSION_COOKIE_PREFIX,
      useSecureCookies: config.auth.publicUrl.startsWith("https://"),
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
    },
    logger: {
      level: "warn",
      // Only the message: better-auth's extra arguments can hold request bodies and tokens.
      log: (level: "info" | "success" | "warn" | "error" | "debug", message: string) => {
        // A caller's bad key is an expected outcome (answered 401), not an error of ours.
        const effective = CALLER_MISTAKES.test(message) ? "debug" : level === "success" ? "info" : level;
        log[effective]({ source: "better-auth" }, message);
      },
    },
    databaseHooks: {
      user: {
        update: {
          // overrideUserInfoOnSignIn also copies the provider's email on a returning sign-in: an address added
          // (unverified) at GitHub could then replace the user's, or clash with another user's (a 500). Only
          // name and picture follow the provider; the email stays the one the account was created or linked
          // with. better-auth hands this hook the very object it then writes, so the keys are removed in place.
          before: async (data, context) => {
            if (context?.path.startsWith("/callback/") && "email" in data) {
              delete data.email;
              delete data.emailVerified;
            }
          },
        },
        delete: {
          // An admin removing a user: the user's sessions go first, each as a host's delete would.
          before: async (user) => beforeRemoving((r) => r.user(user.id)),
        },
        create: {
          // Platform admins are named by configuration, and only through an email a provider verified.
          before: async (user) => ({
            data: {
              ...user,
              role: user.emailVerified && adminEmails.has(user.email.toLowerCase()) ? "admin" : "presenter",
            },
          }),
          // Every presenter starts with a personal workspace, so a session always has one to belong to.
          after: async (user) => {
            await auth.api.createOrganization({
              body: {
                name: `${user.name || "My"}'s workspace`.slice(0, 100),
                slug: `personal-${user.id}`,
                userId: user.id,
                metadata: { personal: true },
                keepCurrentActiveOrganization: true,
              },
            });
          },
        },
      },
    },
    plugins: [
      admin({ defaultRole: "presenter", adminRoles: ADMIN_ROLES }),
      organization({
        ...workspaceSchemaOptions,
        allowUserToCreateOrganization: true,
        creatorRole: "owner",
        organizationHooks: {
          // The workspace's sessions go first, each as a host's delete would.
          beforeDeleteOrganization: async ({ organization: workspace }) =>
            beforeRemoving((r) => r.workspace(workspace.id)),
        },
      }),
      bearer({ requireSignature: true }),
      {
        id: "podium-account-removals",
        hooks: {
          before: [
            {
              // The admin plugin signs the user out everywhere, then deletes the user, whose hook above may still
              // refuse: a refusal that can be told in advance comes before anything changes. Only to a caller the
              // admin plugin lets remove users (the admin role), so that no one else learns whether a user is live.
              matcher: (context) => context.path === "/admin/remove-user",
              handler: createAuthMiddleware(async (ctx) => {
                const userId = (ctx.body as { userId?: unknown } | undefined)?.userId;
                if (typeof userId !== "string") return;
                // Through the API, so that bearer's own hook reads a bearer token (hooks see the request as sent).
                const caller = ctx.headers ? await auth.api.getSession({ headers: ctx.headers }) : null;
                const roles = (caller?.user as { role?: string | null } | undefined)?.role?.split(",") ?? [];
                if (
                  !caller ||
                  caller.user.id === userId ||
                  !roles.some((role) => ADMIN_ROLES.includes(role))
                ) {
                  return;
                }
                await beforeRemoving((r) => r.userRemovable(userId));
              }),
            },
          ],
        },
      },
      apiKey({
        ...apiKeySchemaOptions,
        defaultPrefix: "pdm_",
        enableMetadata: true,
        // Our limiter covers API keys; the plugin's would write a row on every request.
        rateLimit: { enabled: false },
      }),
      ...(devSignInEnabled(config) ? [devSignIn()] : []),
    ],
  } satisfies BetterAuthOptions;
  const auth = betterAuth(options);
  return auth;

  /** Runs a removal hook; its refusal (an AppError) is answered as better-auth answers its own errors. */
  async function beforeRemoving(run: (r: AccountRemovals) => Promise<void>): Promise<void> {
    if (!removals.current) throw new Error("Account removals are not set up (sessions service missing).");
    try {
      await run(removals.current);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const status = error.status as ConstructorParameters<typeof APIError>[0];
      throw new APIError(status, { code: error.code, message: error.detail }, error.extras.headers);
    }
  }
}

export type Auth = ReturnType<typeof createAuth>;
