import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { ANY_CREDENTIAL } from "../../plugins/auth.js";
import type { AttendeeModeration } from "./attendees.service.js";

const attendeeParams = z.object({ id: z.uuid(), attendeeId: z.uuid() }).strict();

/** Moderation of attendees by the session's host, co-hosts and moderators. */
export const attendeeRoutes: FastifyPluginAsyncZod<{ moderation: AttendeeModeration }> = async (
  app,
  { moderation },
) => {
  app.post(
    "/api/sessions/:id/attendees/:attendeeId/ban",
    {
      preHandler: app.requireActor,
      schema: {
        tags: ["attendees"],
        summary: "Ban an attendee: its tokens stop working on every instance",
        security: ANY_CREDENTIAL,
        params: attendeeParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await moderation.ban(request.actor, request.params.id, request.params.attendeeId);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    "/api/sessions/:id/attendees/:attendeeId",
    {
      preHandler: app.requireActor,
      schema: {
        tags: ["attendees"],
        summary: "Remove an attendee from the session: its tokens stop working",
        security: ANY_CREDENTIAL,
        params: attendeeParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await moderation.remove(request.actor, request.params.id, request.params.attendeeId);
      return reply.code(204).send(null);
    },
  );
};
