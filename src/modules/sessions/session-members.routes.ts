import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { ANY_CREDENTIAL } from "../../plugins/auth.js";
import type { SessionMembers } from "./session-members.service.js";

const memberSchema = z
  .object({
    userId: z.uuid(),
    name: z.string(),
    role: z.enum(["host", "co_host", "moderator"]),
    grantedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "SessionMember" });

const sessionParams = z.object({ id: z.uuid() }).strict();
const memberParams = z.object({ id: z.uuid(), userId: z.uuid() }).strict();
const security = ANY_CREDENTIAL;

/** /api/sessions/:id/members: who hosts, co-hosts and moderates a session. Granting is the host's alone. */
export const sessionMemberRoutes: FastifyPluginAsyncZod<{ members: SessionMembers }> = async (
  app,
  { members },
) => {
  app.get(
    "/api/sessions/:id/members",
    {
      preHandler: app.requireActor,
      schema: {
        tags: ["sessions"],
        summary: "The session's host, co-hosts and moderators",
        security,
        params: sessionParams,
        response: { 200: z.object({ items: z.array(memberSchema) }) },
      },
    },
    async (request) => ({ items: await members.list(request.actor, request.params.id) }),
  );

  app.put(
    "/api/sessions/:id/members/:userId",
    {
      preHandler: app.requireActor,
      schema: {
        tags: ["sessions"],
        summary: "Grant (or change) a co-host or moderator role; host only",
        security,
        params: memberParams,
        body: z.object({ role: z.enum(["co_host", "moderator"]) }).strict(),
        response: { 200: memberSchema },
      },
    },
    async (request) =>
      members.grant(request.actor, request.params.id, request.params.userId, request.body.role),
  );

  app.delete(
    "/api/sessions/:id/members/:userId",
    {
      preHandler: app.requireActor,
      schema: {
        tags: ["sessions"],
        summary: "Take a role back; host only",
        security,
        params: memberParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await members.revoke(request.actor, request.params.id, request.params.userId);
      return reply.code(204).send(null);
    },
  );
};
