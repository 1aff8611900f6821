import type { BetterAuthPlugin } from "better-auth";
import { APIError, createAuthEndpoint } from "better-auth/api";
import { setSessionCookie } from "better-auth/cookies";
import { z } from "zod";

const devSignInBody = z
  .object({
    name: z.string().trim().min(1).max(80),
    email: z.email().max(254),
  })
  .strict();

/**
 * Sign-in with a name and an email, no password and no provider: what makes the server usable right after
 * `npm start` on a laptop. Only ever installed when no OAuth provider is configured and NODE_ENV is not
 * production (see createAuth), so in production the route does not exist at all.
 * The email is stored unverified, so a later Google or GitHub sign-in never links into this account.
 */
export function devSignIn(): BetterAuthPlugin {
  return {
    id: "podium-dev-sign-in",
    endpoints: {
      devSignIn: createAuthEndpoint("/dev/sign-in", { method: "POST", body: devSignInBody }, async (ctx) => {
        const email = ctx.body.email.toLowerCase();
        const existing = await ctx.context.internalAdapter.findUserByEmail(email);
        // A database that once served real sign-ins keeps those accounts to their providers: knowing an email
        // must not be enough to become its owner.
        if (existing && (await ctx.context.internalAdapter.findAccounts(existing.user.id)).length > 0) {
          throw new APIError("FORBIDDEN", {
            code: "PROVIDER_ACCOUNT",
            message:
              "This account signs in with its provider (Google or GitHub), not with development sign-in.",
          });
        }
        const user =
          existing?.user ??
          (await ctx.context.internalAdapter.createUser(
            { name: ctx.body.name, email, emailVerified: false },
            { method: "dev-sign-in" },
          ));
        if (!user) throw new APIError("INTERNAL_SERVER_ERROR", { message: "Could not create the user." });
        const session = await ctx.context.internalAdapter.createSession(user.id);
        await setSessionCookie(ctx, { session, user });
        // The bearer plugin adds `set-auth-token` (the signed session token) for clients that do not keep cookies.
        return ctx.json({ user });
      }),
    },
  };
}
