import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { AppError } from "../../lib/errors.js";
import { attendeeTokenRevoked } from "../attendees/attendee-token.js";
import { problemResponses, validationFailed, withExamples } from "../../plugins/docs.examples.js";
import { ANY_CREDENTIAL } from "../../plugins/auth.js";
import { authenticationRequired } from "../auth/policy.js";
import { EXAMPLE_SESSION_ID, EXAMPLE_SESSION_PATH } from "../sessions/sessions.examples.js";
import {
  askBody,
  EXAMPLE_QUESTION_ID,
  listQuery,
  patchBody,
  questionExample,
  questionPageSchema,
  questionSchema,
  viewerQuestionSchema,
  voteBody,
} from "./questions.schemas.js";
import type { AskHeadStart } from "./questions.ask.js";
import type { Questions } from "./questions.service.js";

const sessionParams = z.object({ id: z.uuid().meta({ examples: [EXAMPLE_SESSION_ID] }) }).strict();
const questionParams = z.object({ id: z.uuid().meta({ examples: [EXAMPLE_QUESTION_ID] }) }).strict();
const questionPath = `/api/questions/${EXAMPLE_QUESTION_ID}`;
const unauthenticated = authenticationRequired();
const questionNotFound = new AppError("QUESTION_NOT_FOUND", 404, "Question not found.");
const { mine: _mine, myVote: _myVote, ...publicExample } = questionExample;

declare module "fastify" {
  interface FastifyRequest {
    /** The asker's per-minute allowance, counted in onRequest on the ask route. */
    askAllowance: AskHeadStart["allowance"];
  }
}

/** The per-address limit's answer as the ask awaits it: rejects with its 429. */
function addressCleared(request: FastifyRequest): Promise<void> | undefined {
  const cleared = request.refusalFirst?.().then((refusal) => {
    if (refusal) throw refusal;
  });
  // Awaited by the ask, or never (refused before it, e.g. by its policy): no unhandled rejection meanwhile.
  cleared?.catch(() => undefined);
  return cleared;
}

/** The Q&A board: ask, vote, curate, list. The same service answers the socket events question:submit/vote. */
export const questionRoutes: FastifyPluginAsyncZod<{ questions: Questions }> = async (app, { questions }) => {
  app.decorateRequest("askAllowance", null);
  app.post(
    "/api/sessions/:id/questions",
    {
      // An attendee's token is checked in onRequest (plugins/auth.ts): its per-minute allowance is counted now,
      // before the IP limit's hook (a route hook, added after this one) waits, so that with Redis the two are one
      // round trip. A request refused before the ask has counted. The allowance is the attendee's limit here, on
      // HTTP as on the socket: an ask made is not also counted against the per-actor limit (other actors' requests
      // are, and an attendee's that fail, below).
      onRequest: (request, _reply, done) => {
        const likely = request.earlyAuth?.likely;
        if (likely?.kind === "attendee") {
          request.askAllowance = {
            attendeeId: likely.attendeeId,
            allowed: questions.countAsk(likely.attendeeId),
          };
        }
        done();
      },
      preHandler: app.requireActor,
      // The address limit is awaited by the ask, not in onRequest: the body is parsed and validated while the limits'
      // answers travel (with Redis, one round trip). Its 429 still answers first.
      config: { attendeesLimitedByRoute: true, addressLimitAwaitedByHandler: true },
      schema: {
        tags: ["questions"],
        summary: "Ask a question (attendees of the session)",
        description:
          "Trimmed text within the session's `maxQuestionLength`; anonymous when the session allows it. Held " +
          "as `pending` for moderators in pre-moderation mode, or when the profanity policy is `hold`. A " +
          "duplicate of a recent question is refused with `existingQuestionId` to vote for instead. An asker " +
          "banned or removed is refused (401 `ATTENDEE_TOKEN_REVOKED`), also in the moment before this instance " +
          "hears of a ban made on another: the question's write checks the asker's seat.",
        security: ANY_CREDENTIAL,
        params: sessionParams,
        body: askBody,
        response: {
          201: withExamples(viewerQuestionSchema, [
            { ...questionExample, upvotes: 0, score: 0, myVote: 0, mine: true },
          ]),
          ...problemResponses(
            `${EXAMPLE_SESSION_PATH}/questions`,
            validationFailed({ path: "body.text", message: "must be 1 to 300 characters after trimming" }),
            unauthenticated,
            attendeeTokenRevoked(),
            new AppError("FORBIDDEN", 403, "You may not do this (questions.ask)."),
            new AppError("SESSION_NOT_FOUND", 404, "Session not found."),
            new AppError(
              "DUPLICATE_QUESTION",
              409,
              "This question has been asked already; vote for it instead.",
              {
                members: { existingQuestionId: EXAMPLE_QUESTION_ID },
              },
            ),
            new AppError("SESSION_CHANGED", 409, "The session changed while you asked; ask again."),
            new AppError("PROFANITY", 422, "Please rephrase your question without offensive language."),
            new AppError("RATE_LIMITED", 429, "You are asking too fast; wait a minute."),
          ),
        },
      },
    },
    async (request, reply) => {
      const asked = await questions
        .ask(request.actor, request.params.id, request.body, {
          allowance: request.askAllowance,
          cleared: addressCleared(request),
        })
        .catch(async (error: unknown) => {
          // An ask not made (Q&A closed: its allowance given back) counts against the per-actor limit instead,
          // whose 429 then answers: refusals cannot be repeated without bound.
          // An ask refused by the address limit was stopped before its work, as one refused in onRequest always was.
          const beforeAsk = request.refusalFirst ? await request.refusalFirst() : null;
          if (request.actor.kind === "attendee" && !beforeAsk) await app.limitActor(request, reply);
          throw error;
        });
      return reply.code(201).send(asked);
    },
  );

  app.get(
    "/api/sessions/:id/questions",
    {
      preHandler: app.requireActor,
      schema: {
        tags: ["questions"],
        summary: "The session's questions, pinned first, by top, new or trending",
        description:
          "top: Wilson lower bound of the positive share; new: newest first; trending: net votes with time " +
          "decay. Keyset pages: pass `nextCursor` as `cursor` with the same `sort`.",
        security: ANY_CREDENTIAL,
        params: sessionParams,
        querystring: listQuery,
        response: {
          200: questionPageSchema,
          ...problemResponses(
            `${EXAMPLE_SESSION_PATH}/questions`,
            unauthenticated,
            new AppError("SESSION_NOT_FOUND", 404, "Session not found."),
          ),
        },
      },
    },
    async (request) => questions.list(request.actor, request.params.id, request.query),
  );

  app.post(
    "/api/questions/:id/vote",
    {
      preHandler: app.requireActor,
      schema: {
        tags: ["questions"],
        summary: "Vote on a question (+1, -1, 0 to retract), idempotently",
        description:
          "One vote per attendee and question; answered once committed. Tallies are recounted from the votes " +
          "a few times a second and sent as `question:tallies`. Authors may not vote on their own questions. A " +
          "voter banned or removed is refused (401 `ATTENDEE_TOKEN_REVOKED`), also before this instance hears " +
          "of a ban made on another: the vote's statement checks the voter's seat.",
        security: ANY_CREDENTIAL,
        params: questionParams,
        body: voteBody,
        response: {
          200: withExamples(
            z.object({ questionId: z.uuid(), myVote: z.union([z.literal(-1), z.literal(0), z.literal(1)]) }),
            [{ questionId: EXAMPLE_QUESTION_ID, myVote: 1 }],
          ),
          ...problemResponses(
            `${questionPath}/vote`,
            unauthenticated,
            attendeeTokenRevoked(),
            questionNotFound,
            new AppError("OWN_QUESTION", 409, "You cannot vote on your own question."),
            new AppError("RATE_LIMITED", 429, "You are voting too fast; wait a moment."),
          ),
        },
      },
    },
    async (request) => questions.vote(request.actor, request.params.id, request.body.value),
  );

  app.patch(
    "/api/questions/:id",
    {
      preHandler: app.requireActor,
      schema: {
        tags: ["questions"],
        summary: "Edit or moderate a question",
        description:
          "Its author: edit the text within the edit window and before it is answered, or withdraw it. Hosts, " +
          "co-hosts and moderators: approve (`status: visible`), dismiss, pin, unpin, mark answered, edit " +
          "(recorded with the text before and after).",
        security: ANY_CREDENTIAL,
        params: questionParams,
        body: patchBody,
        response: {
          200: withExamples(questionSchema, [{ ...publicExample, pinned: true, version: 15 }]),
          ...problemResponses(
            questionPath,
            unauthenticated,
            new AppError(
              "FORBIDDEN",
              403,
              "Only a moderator may approve, dismiss, pin or answer a question.",
            ),
            questionNotFound,
            new AppError("EDIT_WINDOW_CLOSED", 409, "The time to edit this question is over."),
          ),
        },
      },
    },
    async (request) => questions.update(request.actor, request.params.id, request.body),
  );

  app.delete(
    "/api/questions/:id",
    {
      preHandler: app.requireActor,
      schema: {
        tags: ["questions"],
        summary: "Delete a question (moderators), or withdraw one's own (its author)",
        security: ANY_CREDENTIAL,
        params: questionParams,
        response: {
          204: z.null().meta({ description: "Deleted (or withdrawn)" }),
          ...problemResponses(questionPath, unauthenticated, questionNotFound),
        },
      },
    },
    async (request, reply) => {
      await questions.remove(request.actor, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
