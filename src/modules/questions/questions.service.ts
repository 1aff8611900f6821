import type { SQL } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import { ignoreEvents, type Publish, type QuestionView } from "../../lib/domain-events.js";
import { AppError } from "../../lib/errors.js";
import { appendSessionEvent } from "../analytics/analytics.service.js";
import type { Actor } from "../auth/actor.js";
import { assertSession, decideSession } from "../auth/policy.js";
import type { SessionAccess } from "../sessions/session-access.service.js";
import { defaultSessionSettings, parseStoredSettings } from "../sessions/sessions.settings.js";
import { createAsking } from "./questions.ask.js";
import { screenText } from "./questions.screening.js";
import { createAskContexts, type AskContexts } from "./questions.ask-context.js";
import { createQuestionBoard, view } from "./questions.board.js";
import {
  countQuestionsOf,
  deleteQuestion,
  findQuestion,
  updateQuestion,
  type QuestionRow,
} from "./questions.repository.js";
import { attendeeTokenRevoked } from "../attendees/attendee-token.js";
import { castVoteIfAllowed } from "./questions.votes.repository.js";
import type { QuestionTallies } from "./questions.tallies.js";

export interface QuestionLimits {
  /** An attendee's questions per minute, and votes per minute. */
  allowQuestion(attendeeId: string): Promise<boolean>;
  /** Gives back a question counted for an ask that could not be made. */
  refundQuestion(attendeeId: string): Promise<void>;
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
  /** Remembered ask contexts (tests pass their own to look inside); one per instance by default. */
  askContexts?: AskContexts;
}) {
  const { db, sessionAccess, tallies, limits, editWindowMs, publish = ignoreEvents } = deps;
  const askContexts = deps.askContexts ?? createAskContexts();

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
    ...createAsking({ db, sessionAccess, limits, askContexts, announce }),

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
      if (!target.voterSeated) throw attendeeTokenRevoked();
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

const DOWNVOTES_BY_DEFAULT = defaultSessionSettings().qa.allowDownvotes;
const questionNotFound = () => new AppError("QUESTION_NOT_FOUND", 404, "Question not found.");
