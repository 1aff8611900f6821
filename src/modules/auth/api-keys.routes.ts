import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { USER_CREDENTIAL } from "../../plugins/auth.js";
import { AppError } from "../../lib/errors.js";
import { API_KEY_SCOPES } from "./actor.js";
import type { ApiKeyService } from "./api-keys.service.js";
import { authenticationRequired } from "./policy.js";

const apiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string().nullable(),
    /** The first characters of the key, to recognise it in a list; the key itself is never shown again. */
    start: z.string().nullable(),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
    lastUsedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "ApiKey" });

const createBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(API_KEY_SCOPES.length),
    expiresInDays: z.int().min(1).max(3650).optional(),
  })
  .strict();

const keyParams = z.object({ id: z.uuid() }).strict();

/**
 * /api/api-keys: a signed-in user manages the keys its servers and webhooks use. Keys are hashed at rest and
 * shown once, at creation. A key cannot manage keys (no key can mint another).
 */
export const apiKeyRoutes: FastifyPluginAsyncZod<{ keys: ApiKeyService }> = async (app, { keys }) => {
  const security = USER_CREDENTIAL;

  app.addHook("preHandler", (request, _reply, done) => {
    if (request.actor.kind === "anonymous") return done(authenticationRequired());
    if (request.actor.kind !== "user") {
      return done(
        new AppError(
          "FORBIDDEN",
          403,
          "API keys are managed by a signed-in user, not with another key or token.",
        ),
      );
    }
    done();
  });

  app.post(
    "/api/api-keys",
    {
      schema: {
        tags: ["auth"],
        summary: "Create an API key (the key is in this response only)",
        security,
        body: createBody,
        response: { 201: apiKeySchema.extend({ key: z.string() }) },
      },
    },
    async (request, reply) => {
      if (request.actor.kind !== "user") throw new Error("unreachable: checked in preHandler");
      const created = await keys.create(request.actor.userId, request.body);
      return reply.code(201).header("cache-control", "no-store").send(created);
    },
  );

  app.get(
    "/api/api-keys",
    {
      schema: {
        tags: ["auth"],
        summary: "The caller's API keys (never the keys themselves)",
        security,
        response: { 200: z.object({ items: z.array(apiKeySchema) }) },
      },
    },
    async (request) => {
      if (request.actor.kind !== "user") throw new Error("unreachable: checked in preHandler");
      return { items: await keys.list(request.actor.userId) };
    },
  );

  app.delete(
    "/api/api-keys/:id",
    {
      schema: {
        tags: ["auth"],
        summary: "Revoke an API key: it stops working at once",
        security,
        params: keyParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      if (request.actor.kind !== "user") throw new Error("unreachable: checked in preHandler");
      await keys.revoke(request.actor.userId, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
