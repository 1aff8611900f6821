import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Attendance } from "./attendees.join.js";

const sessionParams = z.object({ sessionId: z.uuid() }).strict();

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
        params: sessionParams,
        body: joinBody,
        response: { 200: joinResult, 201: joinResult },
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
        security: [{ bearer: [] }],
        body: z
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
        response: { 204: z.null() },
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
        security: [{ bearer: [] }],
        params: sessionParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await attendance.leave(request.actor, request.params.sessionId);
      return reply.code(204).send(null);
    },
  );
};
