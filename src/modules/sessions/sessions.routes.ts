import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { ANY_CREDENTIAL } from "../../plugins/auth.js";
import {
  createSessionBody,
  joinCodeParams,
  listSessionsQuery,
  sessionPageSchema,
  publicSessionSchema,
  sessionParams,
  sessionSchema,
  updateSessionBody,
} from "./sessions.schemas.js";
import type { Sessions } from "./sessions.service.js";

/** /api/sessions: a presenter's sessions and their lifecycle (draft or scheduled → live → ended). */
export const sessionRoutes: FastifyPluginAsyncZod<{
  sessions: Sessions;
  joinLookup: { max: number; windowMs: number };
}> = async (app, { sessions, joinLookup }) => {
  const common = { tags: ["sessions"], security: ANY_CREDENTIAL };

  app.get(
    "/api/join/:code",
    {
      // A limit of its own, per address: guessing codes must be slow, a venue sharing one address must not be.
      config: { rateLimit: { max: joinLookup.max, timeWindow: joinLookup.windowMs } },
      schema: {
        tags: ["sessions"],
        summary: "The public face of the session a join code opens (no credential needed)",
        params: joinCodeParams,
        response: { 200: publicSessionSchema },
      },
    },
    async (request) => sessions.publicFace(request.params.code),
  );

  app.post(
    "/api/sessions",
    {
      preHandler: app.requireActor,
      schema: {
        ...common,
        summary: "Create a session (in the caller's personal workspace unless `workspaceId` is given)",
        body: createSessionBody,
        response: { 201: sessionSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await sessions.create(request.actor, request.body)),
  );

  app.get(
    "/api/sessions",
    {
      preHandler: app.requireActor,
      schema: {
        ...common,
        summary: "The caller's sessions (owned, held a role in, or in its workspaces), newest first",
        querystring: listSessionsQuery,
        response: { 200: sessionPageSchema },
      },
    },
    async (request) => sessions.list(request.actor, request.query),
  );

  app.get(
    "/api/sessions/:id",
    {
      preHandler: app.requireActor,
      schema: { ...common, summary: "A session", params: sessionParams, response: { 200: sessionSchema } },
    },
    async (request) => sessions.get(request.actor, request.params.id),
  );

  app.patch(
    "/api/sessions/:id",
    {
      preHandler: app.requireActor,
      schema: {
        ...common,
        summary: "Change title, description, schedule, capacity or settings (settings are merged)",
        params: sessionParams,
        body: updateSessionBody,
        response: { 200: sessionSchema },
      },
    },
    async (request) => sessions.update(request.actor, request.params.id, request.body),
  );

  app.delete(
    "/api/sessions/:id",
    {
      preHandler: app.requireActor,
      schema: {
        ...common,
        summary: "Delete a session that is not live, with its attendees, questions and votes",
        params: sessionParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await sessions.remove(request.actor, request.params.id);
      return reply.code(204).send(null);
    },
  );

  for (const [action, summary] of [
    ["start", "Go live (safe to retry; an ended session cannot start again)"],
    ["end", "End a live session (safe to retry; final)"],
  ] as const) {
    app.post(
      `/api/sessions/:id/${action}`,
      {
        preHandler: app.requireActor,
        schema: { ...common, summary, params: sessionParams, response: { 200: sessionSchema } },
      },
      async (request) => sessions[action](request.actor, request.params.id),
    );
  }
};
