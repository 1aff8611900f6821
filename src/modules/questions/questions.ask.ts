import { randomUUID } from "node:crypto";
import type { Database } from "../../db/client.js";
import { AppError } from "../../lib/errors.js";
import { createKeyedQueue } from "../../lib/keyed-queue.js";
import { attendeeTokenRevoked } from "../attendees/attendee-token.js";
import type { Actor, AttendeeActor } from "../auth/actor.js";
import { assertSession } from "../auth/policy.js";
import type { SessionAccess } from "../sessions/session-access.service.js";
import { parseStoredSettings } from "../sessions/sessions.settings.js";
import { duplicateBoard, withNewest } from "./question-duplicates.js";
import type { AskContextEntry, AskContexts } from "./questions.ask-context.js";
import { view, type ViewerQuestion } from "./questions.board.js";
import { insertQuestionIfUnchanged, readAskContext, type QuestionRow } from "./questions.repository.js";
import { assertAskable, decideAsk } from "./questions.screening.js";
import type { QuestionLimits } from "./questions.service.js";

/** How many recent questions a new one is compared with for duplicates. */
const DUPLICATE_WINDOW = 500;
/** How often an ask is decided again when the session changes between its read and its write. */
const ASK_ATTEMPTS = 3;

/** A question screened (accepted, held or refused) on one remembered context. */
type Screened = { decided: ReturnType<typeof decideAsk> } | { refused: unknown };
interface ScreenedAhead {
  context: AskContextEntry;
  screened: Screened;
}

function screen(text: string, context: AskContextEntry): Screened {
  try {
    return { decided: decideAsk(text, context) };
  } catch (refusal) {
    return { refused: refusal };
  }
}

/** What an ask's caller started before the ask itself: its limit already on its way. */
export interface AskHeadStart {
  /** The per-minute allowance, counted already for this attendee (`countAsk`): it is not counted again. */
  allowance?: { attendeeId: string; allowed: Promise<boolean> } | null;
  /**
   * A check of the caller's, started before the ask (the per-address limit), whose answer may still be on its way:
   * awaited before the ask does anything else; its refusal comes first.
   */
  cleared?: Promise<void>;
}

/**
 * An attendee asks: decided on the session's remembered ask context (questions.ask-context.ts) and written in one
 * statement while the session is still as remembered, else decided again on a fresh read. Part of the questions
 * service (`createQuestions` spreads it); `announce` publishes the question once committed.
 */
export function createAsking(deps: {
  db: Database;
  sessionAccess: SessionAccess;
  limits: QuestionLimits;
  askContexts: AskContexts;
  announce: (row: QuestionRow, authorName: string | null, created?: boolean) => void;
}) {
  const { db, sessionAccess, limits, askContexts, announce } = deps;

  /**
   * The session's ask context as stored now, remembered for the next ask (404: no such session). 401: the asker was
   * banned or removed after its token was accepted here (on another instance, whose word has not arrived yet).
   */
  async function freshAskContext(sessionId: string, asker: AttendeeActor): Promise<AskContextEntry> {
    const { session, authorSeated } = await readAskContext(db, sessionId, DUPLICATE_WINDOW, asker.attendeeId);
    if (!session) {
      askContexts.drop(sessionId);
      throw new AppError("SESSION_NOT_FOUND", 404, "Session not found.");
    }
    const { recent, ...state } = session;
    const entry: AskContextEntry = {
      ...state,
      settings: parseStoredSettings(session.settings),
      board: duplicateBoard(recent),
    };
    askContexts.set(sessionId, entry);
    if (!authorSeated) throw attendeeTokenRevoked();
    return entry;
  }

  /**
   * Counts one question of this attendee against its per-minute allowance now, for an ask about to be made
   * (passed to `ask` as `allowance`), so that the caller can have it answered beside its own round trips. An ask
   * that cannot be made (Q&A closed) gives it back.
   */
  function countAsk(attendeeId: string): Promise<boolean> {
    const allowed = limits.allowQuestion(attendeeId);
    // Awaited by the ask, or never (refused before it looks, e.g. Q&A closed): no unhandled rejection meanwhile.
    allowed.catch(() => undefined);
    return allowed;
  }

  /**
   * Each session's asks on this instance take turns: one at a time, in arrival order, each decided and written on
   * what the one before left (its question on the board, the revision one further). Decided at once on the same
   * remembered revision, the second insert would find the session changed and pay a fresh read and a third
   * statement. Asks on other instances are caught by the insert's check.
   */
  const inTurn = createKeyedQueue();

  /**
   * The text screened on the session's remembered context, before the ask's turn (nothing read, no turn taken):
   * while the address limit answers. Null when there is no remembered context, or it would not take the question.
   */
  function screenAhead(
    sessionId: string,
    input: { text: string; anonymous?: boolean },
  ): ScreenedAhead | null {
    const context = askContexts.get(sessionId);
    if (!context) return null;
    try {
      assertAskable(context.status, context.settings, input);
    } catch {
      return null;
    }
    return { context, screened: screen(input.text, context) };
  }

  /** An ask, in its session's turn on this instance. */
  async function decideAndWrite(
    asker: AttendeeActor,
    sessionId: string,
    input: { text: string; anonymous?: boolean },
    early: Promise<boolean> | null,
    ahead: ScreenedAhead | null,
  ): Promise<ViewerQuestion> {
    let counting = early;
    let askable = false;
    let changed = 0;
    let remembered = askContexts.get(sessionId);
    for (;;) {
      const fromCache = remembered !== undefined;
      const context = remembered ?? (await freshAskContext(sessionId, asker));
      let decided: ReturnType<typeof decideAsk>;
      try {
        assertAskable(context.status, context.settings, input);
        // Counted once per request, also when the ask is decided again on a newer state of the session. The
        // text is screened while the limiter answers (a Redis round trip); the limit's refusal comes first.
        askable = true;
        counting ??= countAsk(asker.attendeeId);
        // Screened already if this is still the context it was screened on (no ask came in between).
        const screened = ahead?.context === context ? ahead.screened : screen(input.text, context);
        if (!(await counting)) {
          throw new AppError("RATE_LIMITED", 429, "You are asking too fast; wait a minute.", {
            headers: { "retry-after": "60" },
          });
        }
        if ("refused" in screened) throw screened.refused;
        decided = screened.decided;
      } catch (error) {
        // A refusal stands only on what is stored now: one made on a remembered context is made again.
        if (fromCache && !(error instanceof AppError && error.code === "RATE_LIMITED")) {
          askContexts.drop(sessionId);
          remembered = undefined;
          continue;
        }
        // Refused before the ask could be made (Q&A closed): what was counted in advance is given back.
        if (early && !askable) limits.refundQuestion(asker.attendeeId).catch(() => undefined);
        throw error;
      }
      const { verdict, status } = decided;
      // The id is chosen here so that the question and its event are one statement (no transaction round trips).
      const questionId = randomUUID();
      const inserted = await insertQuestionIfUnchanged(
        db,
        {
          id: questionId,
          sessionId,
          authorAttendeeId: asker.attendeeId,
          text: verdict.text,
          anonymous: input.anonymous ?? false,
          status,
        },
        // A fresh read is not checked for its questions, as a read-then-write always was: concurrent askers on
        // several instances must not make each other retry. A remembered one must still have the questions it
        // remembers.
        {
          status: context.status,
          settings: context.storedSettings,
          revision: fromCache ? context.revision : null,
        },
        { questionId, status, ...(verdict.action === "hold" ? { heldFor: verdict.reason } : {}) },
      );
      if (inserted) {
        const { row, authorName } = inserted;
        // Sent first: the context's update (the board copied with this question) can wait, nothing runs between.
        announce(row, authorName, true);
        // Our insert moved the revision on by one; if anything else did too, the next ask reads afresh.
        askContexts.set(sessionId, {
          ...context,
          revision: context.revision + 1,
          board: withNewest(context.board, { id: row.id, text: row.text }, DUPLICATE_WINDOW),
        });
        return { ...view(row, authorName), mine: true, myVote: 0 };
      }
      askContexts.drop(sessionId);
      remembered = undefined;
      // The session changed (settings, status) or went between a fresh read and the write, or the asker was banned
      // meanwhile (the fresh read says so): decide again.
      if (!fromCache && ++changed >= ASK_ATTEMPTS) {
        throw new AppError("SESSION_CHANGED", 409, "The session changed while you asked; ask again.");
      }
    }
  }

  return {
    countAsk,

    async ask(
      actor: Actor,
      sessionId: string,
      input: { text: string; anonymous?: boolean },
      headStart: AskHeadStart = {},
    ): Promise<ViewerQuestion> {
      const { allowance, cleared } = headStart;
      // The address limit is awaited before any read or turn in the session's queue; the text is screened meanwhile.
      const ahead =
        cleared && actor.kind === "attendee" && actor.sessionId === sessionId
          ? screenAhead(sessionId, input)
          : null;
      await cleared;
      if (actor.kind !== "attendee") await sessionAccess.authorize(actor, "questions.ask", sessionId);
      // The policy lets attendees of this session alone ask; its attendee branch reads only the token's session.
      assertSession(actor, "questions.ask", {
        sessionId,
        workspaceId: "",
        sessionRole: null,
        workspaceRole: null,
      });
      const asker = actor as AttendeeActor;
      // Counted by the caller in advance, or here once the ask can be made: never while Q&A is closed.
      const early = allowance?.attendeeId === asker.attendeeId ? allowance.allowed : null;
      return inTurn(sessionId, () => decideAndWrite(asker, sessionId, input, early, ahead));
    },
  };
}
