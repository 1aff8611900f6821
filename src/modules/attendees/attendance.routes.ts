import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { AppError } from "../../lib/errors.js";
import { problemResponses, validationFailed, withExamples } from "../../plugins/docs.examples.js";
import { authenticationRequired } from "../auth/policy.js";
import { EXAMPLE_SESSION_ID } from "../sessions/sessions.examples.js";
import {
  joinExample,
  joinResultExample,
  rejoinResultExample,
  updateStatusExample,
} from "./attendees.examples.js";
import type { Attendance } from "./attendees.join.js";

const sessionParams = z.object({ sessionId: z.uuid().meta({ examples: [EXAMPLE_SESSION_ID] }) }).strict();

const joinBody = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(80)
      .regex(/^\P{Cc}+$/u, "must not contain control characters"),
    email: z.email().max(254).optional(),
  })
  .strict();

const joinResult = z
  .object({
    attendee: z.object({
      id: z.uuid(),
      displayName: z.string(),
      /** The id other peers address WebRTC signaling to (not a credential). */
      peerId: z.string(),
      status: z.literal("connected"),
    }),
    /** The attendee token: `Authorization: Bearer …` on every call, and to rejoin as the same attendee. */
    token: z.string(),
    expiresAt: z.iso.datetime(),
    session: z.object({ id: z.uuid(), title: z.string(), status: z.enum(["scheduled", "live"]) }),
    rejoined: z.boolean(),
  })
  .meta({ id: "JoinResult" });

const joinPath = `/api/attendee/join/${EXAMPLE_SESSION_ID}`;

/** Joining a session with a name (no account), and leaving it. */
export const attendanceRoutes: FastifyPluginAsyncZod<{ attendance: Attendance }> = async (
  app,
  { attendance },
) => {
  app.post(
    "/api/attendee/join/:sessionId",
    {
      schema: {
        tags: ["attendees"],
        summary:
          "Join a scheduled or live session with a name; send your attendee token to rejoin as yourself",
        description:
          "No account needed. `name` is trimmed, 1–80 characters, no control characters; `email` is stored only " +
          "when the session's `settings.collectAttendeeEmail` is true. A new attendee takes a seat (201); with " +
          "`Authorization: Bearer <attendee token>` of this session the same attendee comes back (200, " +
          "`rejoined: true`), keeping its questions and votes; it needs a free seat only if it was not present " +
          "(left or disconnected). Only connected and reconnecting attendees hold seats. Open while " +
          "the session is scheduled (waiting room) or live. The response carries a fresh two-hour token.",
        // No credential needed; an attendee token of this session, when sent, rejoins.
        security: [{}, { bearer: [] }],
        params: sessionParams,
        body: withExamples(joinBody, [joinExample]),
        response: {
          200: withExamples(joinResult, [rejoinResultExample]),
          201: withExamples(joinResult, [joinResultExample]),
          ...problemResponses(
            joinPath,
            validationFailed({ path: "body.name", message: "must not contain control characters" }),
            new AppError(
              "ATTENDEE_TOKEN_EXPIRED",
              401,
              "The attendee token has expired; join the session again.",
            ),
            new AppError("SESSION_NOT_FOUND", 404, "Session not found."),
            new AppError("SESSION_FULL", 409, "This session is full; try again when a seat frees up."),
            new AppError("SESSION_NOT_OPEN", 409, "This session is not open yet."),
            new AppError("SESSION_ENDED", 410, "This session has ended."),
          ),
        },
      },
    },
    async (request, reply) => {
      const result = await attendance.join(request.actor, request.params.sessionId, request.body);
      return reply
        .code(result.rejoined ? 200 : 201)
        .header("cache-control", "no-store")
        .send(result);
    },
  );

  app.post(
    "/api/attendee/update-status",
    {
      preHandler: app.requireActor,
      schema: {
        tags: ["attendees"],
        summary: "Report this attendee's connection state (a heartbeat), with optional quality figures",
        description:
          "Attendee token only. Every call records a sign of life (`lastSeenAt`); a change of state is logged " +
          "as `attendee.status` with the quality figures. `connected` and `reconnecting` hold a seat, " +
          "`disconnected` frees it: coming back from `disconnected` takes a seat again, refused when the session " +
          "is full (409 `SESSION_FULL`), back to draft (409 `SESSION_NOT_OPEN`) or ended (410 `SESSION_ENDED`). " +
          "An attendee silent for longer than `PRESENCE_GRACE_MS` is marked `disconnected` by the presence " +
          "sweeper. An attendee that left (or was removed or banned) must join again first (409 `ATTENDEE_LEFT`).",
        security: [{ bearer: [] }],
        body: withExamples(
          z
            .object({
              status: z.enum(["connected", "reconnecting", "disconnected"]),
              quality: z
                .object({
                  rttMs: z.number().min(0).max(60_000).optional(),
                  packetLossPct: z.number().min(0).max(100).optional(),
                  bitrateKbps: z.number().min(0).max(1_000_000).optional(),
                })
                .strict()
                .optional(),
            })
            .strict(),
          [updateStatusExample],
        ),
        response: {
          204: z.null().meta({ description: "Recorded" }),
          ...problemResponses(
            "/api/attendee/update-status",
            validationFailed({
              path: "body.status",
              message: 'Invalid option: expected one of "connected"|"reconnecting"|"disconnected"',
            }),
            authenticationRequired(),
            new AppError("FORBIDDEN", 403, "Only an attendee reports its own connection state."),
            new AppError("ATTENDEE_LEFT", 409, "This attendee has left; join the session again."),
            new AppError("SESSION_FULL", 409, "This session is full; try again when a seat frees up."),
            new AppError("SESSION_NOT_OPEN", 409, "This session is not open yet."),
            new AppError("SESSION_ENDED", 410, "This session has ended."),
          ),
        },
      },
    },
    async (request, reply) => {
      await attendance.updateStatus(request.actor, request.body);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/api/attendee/leave/:sessionId",
    {
      preHandler: app.requireActor,
      schema: {
        tags: ["attendees"],
        summary: "Leave the session (frees the seat; the token still rejoins)",
        description:
          "Attendee token of this session only. The attendee's status becomes `left`, its seat (if it held " +
          "one) is free, and `attendee.left` is logged. Leaving twice is harmless. The token stays valid: " +
          "joining with it comes back as the same attendee.",
        security: [{ bearer: [] }],
        params: sessionParams,
        response: {
          204: z.null().meta({ description: "Left" }),
          ...problemResponses(
            `/api/attendee/leave/${EXAMPLE_SESSION_ID}`,
            authenticationRequired(),
            new AppError("FORBIDDEN", 403, "Leave with the attendee token of this session."),
          ),
        },
      },
    },
    async (request, reply) => {
      await attendance.leave(request.actor, request.params.sessionId);
      return reply.code(204).send(null);
    },
  );
};
