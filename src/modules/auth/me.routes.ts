import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { ANY_CREDENTIAL } from "../../plugins/auth.js";
import { AppError } from "../../lib/errors.js";
import { API_KEY_SCOPES } from "./actor.js";
import type { Accounts } from "./accounts.service.js";
import { PLATFORM_ROLES } from "./auth.instance.js";

const workspaceSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  role: z.string(),
  personal: z.boolean(),
});

const meSchema = z
  .discriminatedUnion("kind", [
    z.object({
      kind: z.literal("user"),
      user: z.object({
        id: z.uuid(),
        name: z.string(),
        email: z.string(),
        image: z.string().nullable(),
        role: z.enum(PLATFORM_ROLES),
      }),
      workspaces: z.array(workspaceSchema),
    }),
    z.object({
      kind: z.literal("apiKey"),
      keyId: z.uuid(),
      userId: z.uuid(),
      scopes: z.array(z.enum(API_KEY_SCOPES)),
    }),
    z.object({ kind: z.literal("attendee"), attendeeId: z.uuid(), sessionId: z.uuid() }),
  ])
  .meta({ id: "Me" });

/** GET /api/me: who the credential belongs to, for any kind of caller (the brief's "session" endpoint). */
export const meRoutes: FastifyPluginAsyncZod<{ accounts: Accounts }> = async (app, { accounts }) => {
  app.get(
    "/api/me",
    {
      preHandler: app.requireActor,
      schema: {
        tags: ["auth"],
        summary: "The caller: a user with its workspaces, an API key, or an attendee",
        security: ANY_CREDENTIAL,
        response: { 200: meSchema },
      },
    },
    async (request) => {
      const actor = request.actor;
      switch (actor.kind) {
        case "user": {
          const [user, workspaces] = await Promise.all([
            accounts.findUser(actor.userId),
            accounts.listWorkspaces(actor.userId),
          ]);
          if (!user) throw new AppError("AUTHENTICATION_REQUIRED", 401, "The account no longer exists.");
          return { kind: "user" as const, user: { ...user, role: actor.role }, workspaces };
        }
        case "apiKey":
          return {
            kind: "apiKey" as const,
            keyId: actor.keyId,
            userId: actor.userId,
            scopes: [...actor.scopes],
          };
        case "attendee":
          return { kind: "attendee" as const, attendeeId: actor.attendeeId, sessionId: actor.sessionId };
        case "anonymous":
          throw new AppError("AUTHENTICATION_REQUIRED", 401, "Sign in first.");
      }
    },
  );
};
