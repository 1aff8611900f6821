import { randomUUID } from "node:crypto";
import type { SQL } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import { ignoreEvents, type Publish, type QuestionView } from "../../lib/domain-events.js";
import { AppError } from "../../lib/errors.js";
import { appendSessionEvent, sessionEventAppend } from "../analytics/analytics.service.js";
import type { Actor, AttendeeActor } from "../auth/actor.js";
import { assertSession, decideSession } from "../auth/policy.js";
import type { SessionAccess } from "../sessions/session-access.service.js";
import {
  defaultSessionSettings,
  parseStoredSettings,
  type SessionSettings,
} from "../sessions/sessions.settings.js";
import { findDuplicate, screenQuestion } from "./question-filter.js";
import { createQuestionBoard, view, type ViewerQuestion } from "./questions.board.js";
import {
  castVoteIfAllowed,
  countQuestionsOf,
  deleteQuestion,
  findQuestion,
  insertQuestion,
  readAskContext,
  updateQuestion,
  type QuestionRow,
} from "./questions.repository.js";
import type { QuestionTallies } from "./questions.tallies.js";

/** How many recent questions a new one is compared with for duplicates. */
const DUPLICATE_WINDOW = 500;

export interface QuestionLimits {
  /** An attendee's questions per minute, and votes per minute. */
  allowQuestion(attendeeId: string): Promise<boolean>;
  allowVote(attendeeId: string): Promise<boolean>;
}

export interface QuestionPatch {
  text?: string;
  status?: "visible" | "dismissed" | "withdrawn";
  pinned?: boolean;
  answered?: boolean;
}

/**
 * The Q&A board: attendees ask and vote; hosts, co-hosts and moderators curate. Every change is written with
 * its session event in one transaction, then published. Votes are rows (one per attendee and question); the
 * tallies and ranking score on each question are recounted from them by `QuestionTallies`, a few times a
 * second, never one hot-row update per vote.
 */
export function createQuestions(deps: {
  db: Database;
  sessionAccess: SessionAccess;
  tallies: QuestionTallies;
  limits: QuestionLimits;
  editWindowMs: number;
  publish?: Publish;
}) {
  const { db, sessionAccess, tallies, limits, editWindowMs, publish = ignoreEvents } = deps;

  async function loaded(questionId: string) {
    const found = await findQuestion(db, questionId);
    if (!found) throw questionNotFound();
    return found;
  }

  /** Staff may moderate; an attendee of the session may act on its own question. Others: 404 or 403. */
  async function moderatorOrAuthor(
    actor: Actor,
    found: NonNullable<Awaited<ReturnType<typeof findQuestion>>>,
  ) {
    const { question } = found;
    if (actor.kind === "attendee") {
      if (actor.sessionId !== question.sessionId) throw questionNotFound();
      return { moderator: false, author: question.authorAttendeeId === actor.attendeeId };
    }
    const relations = await sessionAccess.authorize(actor, "questions.read", question.sessionId).catch(() => {
      throw questionNotFound();
    });
    assertSession(actor, "questions.moderate", relations);
    return { moderator: true, author: false };
  }

  function announce(row: QuestionRow, authorName: string | null, created = false) {
    publish({
      type: "question.changed",
      question: view(row, authorName),
      authorAttendeeId: row.authorAttendeeId,
      created,
    });
  }

  return {
    async ask(
      actor: Actor,
      sessionId: string,
      input: { text: string; anonymous?: boolean },
    ): Promise<ViewerQuestion> {
      if (actor.kind !== "attendee") await sessionAccess.authorize(actor, "questions.ask", sessionId);
      // The policy lets attendees of this session alone ask; its attendee branch reads only the token's session.
      assertSession(actor, "questions.ask", {
        sessionId,
        workspaceId: "",
        sessionRole: null,
        workspaceRole: null,
      });
      const asker = actor as AttendeeActor;
      const { session, recent, authorName } = await readAskContext(
        db,
        sessionId,
        asker.attendeeId,
        DUPLICATE_WINDOW,
      );
      if (!session) throw new AppError("SESSION_NOT_FOUND", 404, "Session not found.");
      const { status } = session;
      const settings = parseStoredSettings(session.settings);
      if (status !== "live" && status !== "scheduled") {
        throw new AppError("QA_CLOSED", 409, "Questions are taken while the session is scheduled or live.");
      }
      if (!settings.qa.enabled) throw new AppError("QA_CLOSED", 409, "Q&A is turned off for this session.");
      if (input.anonymous && !settings.qa.allowAnonymous) {
        throw new AppError("ANONYMOUS_NOT_ALLOWED", 409, "This session does not take anonymous questions.");
      }
      if (!(await limits.allowQuestion(asker.attendeeId))) {
        throw new AppError("RATE_LIMITED", 429, "You are asking too fast; wait a minute.", {
          headers: { "retry-after": "60" },
        });
      }
      const verdict = screenText(input.text, settings);
      const duplicate = findDuplicate(verdict.text, recent);
      if (duplicate) {
        throw new AppError(
          "DUPLICATE_QUESTION",
          409,
          "This question has been asked already; vote for it instead.",
          { members: { existingQuestionId: duplicate.id } },
        );
      }
      const held = settings.qa.moderation === "pre" || verdict.action === "hold";
      const questionStatus = held ? "pending" : "visible";
      // The id is chosen here so that the question and its event are one statement (no transaction round trips).
      const questionId = randomUUID();
      const row = await insertQuestion(
        db,
        {
          id: questionId,
          sessionId,
          authorAttendeeId: asker.attendeeId,
          text: verdict.text,
          anonymous: input.anonymous ?? false,
          status: questionStatus,
        },
        sessionEventAppend(db, {
          sessionId,
          type: "question.created",
          actor,
          payload: {
            questionId,
            status: questionStatus,
            ...(verdict.action === "hold" ? { heldFor: verdict.reason } : {}),
          },
        }),
      );
      announce(row, authorName, true);
      return { ...view(row, authorName), mine: true, myVote: 0 };
    },

    /** +1, -1 (when the session allows downvotes) or 0 to retract; idempotent; acknowledged once committed. */
    async vote(
      actor: Actor,
      questionId: string,
      value: -1 | 0 | 1,
    ): Promise<{ questionId: string; myVote: -1 | 0 | 1 }> {
      if (actor.kind !== "attendee") {
        // Only attendees vote: anyone else who may read the question is told so, others that it does not exist.
        const { question } = await loaded(questionId);
        const relations = await sessionAccess
          .authorize(actor, "questions.read", question.sessionId)
          .catch(() => {
            throw questionNotFound();
          });
        assertSession(actor, "questions.vote", relations);
        throw new AppError("FORBIDDEN", 403, "Only attendees vote.");
      }
      if (!(await limits.allowVote(actor.attendeeId))) {
        throw new AppError("RATE_LIMITED", 429, "You are voting too fast; wait a moment.", {
          headers: { "retry-after": "60" },
        });
      }
      // One statement checks and writes; the refusals below read the same facts it decided on, in the order
      // of precedence, and nothing was written when one applies.
      const target = await castVoteIfAllowed(db, {
        questionId,
        sessionId: actor.sessionId,
        attendeeId: actor.attendeeId,
        value,
        downvotesByDefault: DOWNVOTES_BY_DEFAULT,
      });
      if (!target) throw questionNotFound();
      const decision = decideSession(actor, "questions.vote", {
        sessionId: target.sessionId,
        workspaceId: "",
        sessionRole: null,
        workspaceRole: null,
      });
      if (!decision.allowed) throw actor.sessionId === target.sessionId ? decision.error : questionNotFound();
      if (target.status !== "visible") {
        throw target.status === "pending" && target.authorAttendeeId !== actor.attendeeId
          ? questionNotFound()
          : new AppError("QUESTION_NOT_VOTABLE", 409, "Only questions on the board can be voted on.");
      }
      if (target.sessionStatus !== "live") {
        throw new AppError("SESSION_NOT_LIVE", 409, "Votes are taken while the session is live.");
      }
      if (target.authorAttendeeId === actor.attendeeId) {
        throw new AppError("OWN_QUESTION", 409, "You cannot vote on your own question.");
      }
      if (value === -1 && !target.allowDownvotes) {
        throw new AppError("DOWNVOTES_DISABLED", 409, "This session does not take downvotes.");
      }
      tallies.recount(questionId);
      return { questionId, myVote: value };
    },

    /**
     * The author edits its text (within the edit window, before it is answered) or withdraws it; staff approve,
     * dismiss, pin, unpin, mark answered and edit (audited with the text before and after).
     */
    async update(actor: Actor, questionId: string, patch: QuestionPatch): Promise<QuestionView> {
      const found = await loaded(questionId);
      const { question } = found;
      const { moderator, author } = await moderatorOrAuthor(actor, found);
      if (!moderator) {
        if (!author)
          throw new AppError("FORBIDDEN", 403, "Only its author or a moderator may change a question.");
        if (
          patch.pinned !== undefined ||
          patch.answered !== undefined ||
          (patch.status && patch.status !== "withdrawn")
        ) {
          throw new AppError(
            "FORBIDDEN",
            403,
            "Only a moderator may approve, dismiss, pin or answer a question.",
          );
        }
        if (patch.text !== undefined) {
          if (question.answered)
            throw new AppError("QUESTION_ANSWERED", 409, "An answered question cannot be edited.");
          if (Date.now() - question.createdAt.getTime() > editWindowMs) {
            throw new AppError("EDIT_WINDOW_CLOSED", 409, "The time to edit this question is over.");
          }
        }
      } else if (patch.status === "withdrawn") {
        throw new AppError("FORBIDDEN", 403, "Only its author may withdraw a question; dismiss it instead.");
      }
      if (question.status === "withdrawn") {
        throw new AppError("QUESTION_WITHDRAWN", 409, "This question was withdrawn by its author.");
      }
      const settings = parseStoredSettings(found.session.settings);
      const change: Parameters<typeof updateQuestion>[2] = {};
      let screenedText: string | undefined;
      if (patch.text !== undefined) {
        const verdict = screenText(patch.text, settings);
        screenedText = verdict.text;
        change.text = verdict.text;
        change.editedAt = new Date();
        // An author's edit that the filter holds goes back to the moderators.
        if (!moderator && verdict.action === "hold") change.status = "pending";
      }
      if (patch.status) change.status = patch.status;
      if (patch.pinned !== undefined) change.pinned = patch.pinned;
      if (patch.answered !== undefined) {
        change.answered = patch.answered;
        change.answeredAt = patch.answered ? new Date() : null;
      }
      const row = await db.transaction(async (tx) => {
        const updated = await updateQuestion(tx, questionId, change);
        await appendSessionEvent(tx, {
          sessionId: question.sessionId,
          type: moderator
            ? "question.moderated"
            : patch.status === "withdrawn"
              ? "question.withdrawn"
              : "question.edited",
          actor,
          payload: {
            questionId,
            changes: Object.keys(change).filter((key) => key !== "editedAt" && key !== "answeredAt"),
            ...(screenedText !== undefined ? { textBefore: question.text, textAfter: screenedText } : {}),
            ...(patch.status ? { statusBefore: question.status, statusAfter: patch.status } : {}),
          },
        });
        return updated;
      });
      announce(row, found.authorName);
      return view(row, found.authorName);
    },

    /** Staff delete a question outright (audited); its author's delete is a withdrawal. */
    async remove(actor: Actor, questionId: string): Promise<void> {
      const found = await loaded(questionId);
      const { moderator, author } = await moderatorOrAuthor(actor, found);
      if (!moderator && !author)
        throw new AppError("FORBIDDEN", 403, "Only its author or a moderator may delete a question.");
      if (!moderator) {
        if (found.question.status === "withdrawn") return;
        await this.update(actor, questionId, { status: "withdrawn" });
        return;
      }
      const sessionId = found.question.sessionId;
      const deleted = await db.transaction(async (tx) => {
        if (!(await deleteQuestion(tx, questionId))) return false;
        await appendSessionEvent(tx, {
          sessionId,
          type: "question.deleted",
          actor,
          payload: { questionId, text: found.question.text, status: found.question.status },
        });
        return true;
      });
      if (deleted) publish({ type: "question.deleted", sessionId, questionId });
    },

    ...createQuestionBoard({ db, sessionAccess }),
  };
}

export type Questions = ReturnType<typeof createQuestions>;

/**
 * Questions asked in a session, for session lists: every question submitted, whatever became of it. A subquery
 * over the caller's session id (a qualified column reference), so that a page of sessions and its counts are one statement.
 */
export function questionsAskedIn(sessionId: SQL): SQL<number> {
  return countQuestionsOf(sessionId);
}

/**
 * A question's text trimmed, within the session's length limit and through its content policy (links,
 * profanity): what may be stored, and whether it must be held; refusals are thrown.
 */
function screenText(raw: string, settings: SessionSettings) {
  const text = raw.trim();
  if (text.length === 0 || text.length > settings.qa.maxQuestionLength) {
    throw new AppError("VALIDATION_FAILED", 400, "The request is not valid; see `errors`.", {
      errors: [
        {
          path: "body.text",
          message: `must be 1 to ${settings.qa.maxQuestionLength} characters after trimming`,
        },
      ],
    });
  }
  const verdict = screenQuestion(text, { profanity: settings.qa.profanity, maxLinks: settings.qa.maxLinks });
  if (verdict.action === "reject") throw new AppError(verdict.code, 422, verdict.message);
  return verdict;
}

const DOWNVOTES_BY_DEFAULT = defaultSessionSettings().qa.allowDownvotes;
const questionNotFound = () => new AppError("QUESTION_NOT_FOUND", 404, "Question not found.");
