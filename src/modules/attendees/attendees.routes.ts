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
  app.get(
    "/api/sessions/:id/attendees",
    {
      preHandler: app.requireActor,
      schema: {
        tags: ["attendees"],
        summary:
          "The session's attendees by join time, with status and engagement (host, co-hosts, moderators)",
        security: ANY_CREDENTIAL,
        params: z.object({ id: z.uuid() }).strict(),
        querystring: z
          .object({
            status: z
              .string()
              .transform((value) => value.split(",").map((item) => item.trim()))
              .pipe(z.array(z.enum(["connected", "reconnecting", "disconnected", "left"])).min(1))
              .optional(),
            cursor: z.string().max(200).optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          })
          .strict(),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.uuid(),
                displayName: z.string(),
                status: z.enum(["connected", "reconnecting", "disconnected", "left"]),
                joinedAt: z.iso.datetime(),
                lastSeenAt: z.iso.datetime(),
                leftAt: z.iso.datetime().nullable(),
                questionsAsked: z.int(),
                votesCast: z.int(),
              }),
            ),
            nextCursor: z.string().nullable(),
          }),
        },
      },
    },
    async (request) => moderation.list(request.actor, request.params.id, request.query),
  );

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
