import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { AppError } from "../../lib/errors.js";
import { ANY_CREDENTIAL } from "../../plugins/auth.js";
import { problemResponses, validationFailed, withExamples } from "../../plugins/docs.examples.js";
import { authenticationRequired } from "../auth/policy.js";
import {
  createSessionExample,
  endedSessionExample,
  EXAMPLE_JOIN_CODE,
  EXAMPLE_SESSION_PATH,
  liveSessionExample,
  publicSessionExample,
  scheduledSessionExample,
  sessionPageExample,
  updatedSessionExample,
} from "./sessions.examples.js";
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

// The refusals these routes document, as the services raise them.
const unauthenticated = authenticationRequired();
const notFound = new AppError("SESSION_NOT_FOUND", 404, "Session not found.");
const forbidden = (action: string) => new AppError("FORBIDDEN", 403, `You may not do this (${action}).`);
const ended = new AppError("SESSION_ENDED", 409, "The session has ended; an ended session is final.");

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
        description:
          "What an attendee sees before joining: title, status, presenter's name, whether Q&A is open. The code " +
          "is matched in any case; only scheduled and live sessions answer (a draft or an ended session is " +
          "404). Rate-limited per client address (`RATE_LIMIT_JOIN_LOOKUP_MAX` per `RATE_LIMIT_WINDOW_MS`), " +
          "malformed and unknown codes included.",
        params: joinCodeParams,
        response: {
          200: withExamples(publicSessionSchema, [publicSessionExample]),
          ...problemResponses(
            `/api/join/${EXAMPLE_JOIN_CODE}`,
            validationFailed({ path: "params.code", message: "a join code is 4 to 12 letters and digits" }),
            new AppError("JOIN_CODE_NOT_FOUND", 404, "No session is open with this code."),
            new AppError("RATE_LIMITED", 429, "Too many requests; retry in 42 seconds."),
          ),
        },
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
        description:
          "Creates a `draft` session, or a `scheduled` one when `scheduledAt` is given, with a fresh join code " +
          "and the settings' defaults filled in. The caller becomes its host. Needs `workspace.sessions.create` " +
          "in the workspace (API key scope `sessions:write`). Unknown fields are refused.",
        body: withExamples(createSessionBody, [createSessionExample]),
        response: {
          201: withExamples(sessionSchema, [scheduledSessionExample]),
          ...problemResponses(
            "/api/sessions",
            validationFailed({
              path: "body.title",
              message: "Too small: expected string to have >=1 characters",
            }),
            unauthenticated,
            new AppError("FORBIDDEN", 403, "Attendees cannot create sessions."),
            new AppError("WORKSPACE_NOT_FOUND", 404, "Workspace not found."),
          ),
        },
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
        description:
          "Keyset pages, newest first (`createdAt`, then `id`): pass `nextCursor` as `cursor` for the next " +
          "page; `nextCursor` is null on the last. Sessions created meanwhile never shift a page. Each item " +
          "carries its live summary: attendees present now, peak, questions asked.",
        querystring: listSessionsQuery,
        response: {
          200: withExamples(sessionPageSchema, [sessionPageExample]),
          ...problemResponses(
            "/api/sessions",
            validationFailed({ path: "querystring.cursor", message: "not a cursor this API returned" }),
            unauthenticated,
            new AppError("INSUFFICIENT_SCOPE", 403, "This API key lacks the scope for session.read."),
          ),
        },
      },
    },
    async (request) => sessions.list(request.actor, request.query),
  );

  app.get(
    "/api/sessions/:id",
    {
      preHandler: app.requireActor,
      schema: {
        ...common,
        summary: "A session",
        description:
          "Needs `session.read`. A session the caller may not see is 404, as if it did not exist. An attendee " +
          "token reads its own session.",
        params: sessionParams,
        response: {
          200: withExamples(sessionSchema, [scheduledSessionExample]),
          ...problemResponses(EXAMPLE_SESSION_PATH, unauthenticated, notFound),
        },
      },
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
        description:
          "Needs `session.update`. Only the fields sent change; `settings.qa` and `settings.media` are merged " +
          "into the stored settings and the result is validated whole. Setting `scheduledAt` makes a session " +
          "that is not live `scheduled`, clearing it (`null`) makes it a `draft`. Status, owner, join code and " +
          "counters are not fields here. Every change bumps `version`. An ended session cannot change (409).",
        params: sessionParams,
        body: withExamples(updateSessionBody, [
          { capacity: 800, settings: { qa: { allowDownvotes: true } } },
        ]),
        response: {
          200: withExamples(sessionSchema, [updatedSessionExample]),
          ...problemResponses(
            EXAMPLE_SESSION_PATH,
            validationFailed(
              { path: "body", message: 'Unrecognized key: "status"' },
              { path: "body", message: "send at least one field to change" },
            ),
            unauthenticated,
            forbidden("session.update"),
            notFound,
            ended,
          ),
        },
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
        description:
          "Needs `session.delete`. A draft, scheduled or ended session is deleted with everything in it; a live " +
          "one is refused (409 `SESSION_LIVE`): end it first. A session whose attendees or questions are being " +
          "changed is deleted once those changes commit; one that stays busy for about a second is refused (409 " +
          "`SESSION_BUSY`, `Retry-After: 1`) with nothing deleted.",
        params: sessionParams,
        response: {
          204: z.null().meta({ description: "Deleted" }),
          ...problemResponses(
            EXAMPLE_SESSION_PATH,
            unauthenticated,
            forbidden("session.delete"),
            notFound,
            new AppError("SESSION_LIVE", 409, "A live session cannot be deleted; end it first."),
            new AppError("SESSION_BUSY", 409, "The session is busy; try deleting it again in a moment."),
          ),
        },
      },
    },
    async (request, reply) => {
      await sessions.remove(request.actor, request.params.id);
      return reply.code(204).send(null);
    },
  );

  const lifecycle = {
    start: {
      summary: "Go live (safe to retry; an ended session cannot start again)",
      description:
        "Needs `session.control`. A draft or scheduled session becomes `live` (`startedAt` set, `version` " +
        "bumped, `session.started` logged). Starting a live session returns it unchanged.",
      example: liveSessionExample,
      refusal: ended,
    },
    end: {
      summary: "End a live session (safe to retry; final)",
      description:
        "Needs `session.control`. A live session becomes `ended` (`endedAt` set, `version` bumped, " +
        "`session.ended` logged); its join code is free for new sessions. Ending an ended session returns it " +
        "unchanged; a draft or scheduled session cannot end (409 `SESSION_NOT_LIVE`).",
      example: endedSessionExample,
      refusal: new AppError("SESSION_NOT_LIVE", 409, "Only a live session can be ended; start it first."),
    },
  } as const;
  for (const action of ["start", "end"] as const) {
    const { summary, description, example, refusal } = lifecycle[action];
    app.post(
      `/api/sessions/:id/${action}`,
      {
        preHandler: app.requireActor,
        schema: {
          ...common,
          summary,
          description,
          params: sessionParams,
          response: {
            200: withExamples(sessionSchema, [example]),
            ...problemResponses(
              `${EXAMPLE_SESSION_PATH}/${action}`,
              unauthenticated,
              forbidden("session.control"),
              notFound,
              refusal,
            ),
          },
        },
      },
      async (request) => sessions[action](request.actor, request.params.id),
    );
  }
};
