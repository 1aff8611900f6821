import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { ANY_CREDENTIAL } from "../../plugins/auth.js";
import { AppError } from "../../lib/errors.js";
import { problemResponses, validationFailed, withExamples } from "../../plugins/docs.examples.js";
import { authenticationRequired } from "../auth/policy.js";
import { EXAMPLE_SESSION_ID, EXAMPLE_SESSION_PATH } from "../sessions/sessions.examples.js";
import { attendeePageExample, EXAMPLE_ATTENDEE_ID } from "./attendees.examples.js";
import type { AttendeeModeration } from "./attendees.service.js";
import type { QuestionAuthors } from "../questions/questions.authors.js";
import { authorNotAttendee, questionNotFound } from "../questions/questions.errors.js";
import { EXAMPLE_QUESTION_ID } from "../questions/questions.schemas.js";

const sessionId = z.uuid().meta({ examples: [EXAMPLE_SESSION_ID] });
const attendeeParams = z
  .object({ id: sessionId, attendeeId: z.uuid().meta({ examples: [EXAMPLE_ATTENDEE_ID] }) })
  .strict();

const attendeePath = `${EXAMPLE_SESSION_PATH}/attendees/${EXAMPLE_ATTENDEE_ID}`;
const unauthenticated = authenticationRequired();
const sessionNotFound = new AppError("SESSION_NOT_FOUND", 404, "Session not found.");
const moderationRefusals = [
  unauthenticated,
  new AppError("FORBIDDEN", 403, "You may not do this (attendees.moderate)."),
  sessionNotFound,
  new AppError("ATTENDEE_NOT_FOUND", 404, "Attendee not found in this session."),
];

/** Moderation of attendees by the session's host, co-hosts and moderators. */
export const attendeeRoutes: FastifyPluginAsyncZod<{
  moderation: AttendeeModeration;
  questionAuthors: QuestionAuthors;
}> = async (app, { moderation, questionAuthors }) => {
  app.get(
    "/api/sessions/:id/attendees",
    {
      preHandler: app.requireActor,
      schema: {
        tags: ["attendees"],
        summary:
          "The session's attendees by join time, with status and engagement (host, co-hosts, moderators)",
        description:
          "Needs `attendees.read` (API key scope `attendees:read`). Oldest first (`joinedAt`, then `id`), in " +
          "keyset pages: pass `nextCursor` as `cursor`; null on the last page. Engagement: questions asked and " +
          "votes cast. Attendees who left, were removed or banned are listed with status `left`.",
        security: ANY_CREDENTIAL,
        params: z.object({ id: sessionId }).strict(),
        querystring: z
          .object({
            status: z
              .string()
              .meta({ examples: ["connected,reconnecting"] })
              .transform((value) => value.split(",").map((item) => item.trim()))
              .pipe(z.array(z.enum(["connected", "reconnecting", "disconnected", "left"])).min(1))
              .optional()
              .meta({ description: "comma-separated statuses" }),
            cursor: z
              .string()
              .max(200)
              .optional()
              .meta({
                description: "`nextCursor` of the previous page",
                examples: [attendeePageExample.nextCursor],
              }),
            limit: z.coerce
              .number()
              .int()
              .min(1)
              .max(200)
              .default(50)
              .meta({ examples: [50] }),
          })
          .strict(),
        response: {
          200: withExamples(
            z.object({
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
            [attendeePageExample],
          ),
          ...problemResponses(
            `${EXAMPLE_SESSION_PATH}/attendees`,
            validationFailed({ path: "querystring.cursor", message: "not a cursor this API returned" }),
            unauthenticated,
            new AppError("FORBIDDEN", 403, "You may not do this (attendees.read)."),
            sessionNotFound,
          ),
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
        description:
          "Needs `attendees.moderate` (API key scope `attendees:moderate`). The attendee is marked banned and " +
          "`left` (its seat is free), `attendee.banned` is logged, then every instance refuses its tokens " +
          "(401 `ATTENDEE_TOKEN_REVOKED`); it cannot rejoin with them. Banning again is harmless.",
        security: ANY_CREDENTIAL,
        params: attendeeParams,
        response: {
          204: z.null().meta({ description: "Banned" }),
          ...problemResponses(`${attendeePath}/ban`, ...moderationRefusals),
        },
      },
    },
    async (request, reply) => {
      await moderation.ban(request.actor, request.params.id, request.params.attendeeId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/api/questions/:id/ban-author",
    {
      preHandler: app.requireActor,
      schema: {
        tags: ["questions"],
        summary: "Ban the attendee who asked a question (from the moderation board)",
        description:
          "The same ban as `POST /api/sessions/:id/attendees/:attendeeId/ban`, reached from a question, so " +
          "moderators can ban the asker of an anonymous question without its author ever being disclosed. Needs " +
          "`attendees.moderate` in the question's session. The question itself is not changed (dismiss it too if " +
          "it should go).",
        security: ANY_CREDENTIAL,
        params: z.object({ id: z.uuid().meta({ examples: [EXAMPLE_QUESTION_ID] }) }).strict(),
        response: {
          204: z.null().meta({ description: "Banned" }),
          ...problemResponses(
            `/api/questions/${EXAMPLE_QUESTION_ID}/ban-author`,
            unauthenticated,
            new AppError("FORBIDDEN", 403, "You may not do this (attendees.moderate)."),
            questionNotFound(),
            authorNotAttendee(),
          ),
        },
      },
    },
    async (request, reply) => {
      const { sessionId, attendeeId } = await questionAuthors.authorOf(request.actor, request.params.id);
      await moderation.ban(request.actor, sessionId, attendeeId);
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
        description:
          "Needs `attendees.moderate`. Like a ban, but recorded as a removal (`attendee.removed`): the person " +
          "may join again, as a new attendee. Removing again is harmless.",
        security: ANY_CREDENTIAL,
        params: attendeeParams,
        response: {
          204: z.null().meta({ description: "Removed" }),
          ...problemResponses(attendeePath, ...moderationRefusals),
        },
      },
    },
    async (request, reply) => {
      await moderation.remove(request.actor, request.params.id, request.params.attendeeId);
      return reply.code(204).send(null);
    },
  );
};
