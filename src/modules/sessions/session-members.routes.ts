import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { AppError } from "../../lib/errors.js";
import { ANY_CREDENTIAL } from "../../plugins/auth.js";
import { problemResponses, validationFailed, withExamples } from "../../plugins/docs.examples.js";
import { authenticationRequired } from "../auth/policy.js";
import {
  EXAMPLE_MEMBER_USER_ID,
  EXAMPLE_SESSION_ID,
  EXAMPLE_SESSION_PATH,
  membersExample,
} from "./sessions.examples.js";
import type { SessionMembers } from "./session-members.service.js";

const memberSchema = z
  .object({
    userId: z.uuid(),
    name: z.string(),
    role: z.enum(["host", "co_host", "moderator"]),
    grantedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "SessionMember" });

const sessionId = z.uuid().meta({ examples: [EXAMPLE_SESSION_ID] });
const sessionParams = z.object({ id: sessionId }).strict();
const memberParams = z
  .object({ id: sessionId, userId: z.uuid().meta({ examples: [EXAMPLE_MEMBER_USER_ID] }) })
  .strict();
const security = ANY_CREDENTIAL;

const membersPath = `${EXAMPLE_SESSION_PATH}/members`;
const memberPath = `${membersPath}/${EXAMPLE_MEMBER_USER_ID}`;
const unauthenticated = authenticationRequired();
const notFound = new AppError("SESSION_NOT_FOUND", 404, "Session not found.");
const forbidden = new AppError("FORBIDDEN", 403, "You may not do this (session.members.manage).");

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
        description:
          "Needs `session.members.read`. The host comes first (`grantedAt` null: it owns the session), then " +
          "the roles the host granted.",
        security,
        params: sessionParams,
        response: {
          200: withExamples(z.object({ items: z.array(memberSchema) }), [membersExample]),
          ...problemResponses(
            membersPath,
            unauthenticated,
            new AppError("FORBIDDEN", 403, "You may not do this (session.members.read)."),
            notFound,
          ),
        },
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
        description:
          "Needs `session.members.manage` (the host; a user credential, not an API key). The user must be a " +
          "member of the session's workspace (422 otherwise); the host's own role cannot change (409). " +
          "Granting again replaces the role. Logged as `member.granted`.",
        security,
        params: memberParams,
        body: withExamples(z.object({ role: z.enum(["co_host", "moderator"]) }).strict(), [
          { role: "moderator" },
        ]),
        response: {
          200: withExamples(memberSchema, [membersExample.items[1]!]),
          ...problemResponses(
            memberPath,
            validationFailed({
              path: "body.role",
              message: 'Invalid option: expected one of "co_host"|"moderator"',
            }),
            unauthenticated,
            forbidden,
            notFound,
            new AppError("HOST_ROLE_FIXED", 409, "The host owns the session; its role cannot be changed."),
            new AppError(
              "USER_NOT_IN_WORKSPACE",
              422,
              "Roles go to members of the session's workspace only.",
            ),
          ),
        },
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
        description: "Needs `session.members.manage`. Logged as `member.revoked`.",
        security,
        params: memberParams,
        response: {
          204: z.null().meta({ description: "The role is taken back" }),
          ...problemResponses(
            memberPath,
            unauthenticated,
            forbidden,
            notFound,
            new AppError("MEMBER_NOT_FOUND", 404, "This user holds no role here."),
          ),
        },
      },
    },
    async (request, reply) => {
      await members.revoke(request.actor, request.params.id, request.params.userId);
      return reply.code(204).send(null);
    },
  );
};
