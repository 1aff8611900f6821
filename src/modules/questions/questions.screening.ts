import { AppError } from "../../lib/errors.js";
import type { SessionSettings } from "../sessions/sessions.settings.js";
import { findDuplicate } from "./question-duplicates.js";
import { screenQuestion } from "./question-filter.js";
import type { AskContextEntry } from "./questions.ask-context.js";
import type { SessionStatus } from "./questions.repository.js";

/** Refuses a question the session does not take now: closed, Q&A off, or anonymous where that is not allowed. */
export function assertAskable(
  status: SessionStatus,
  settings: SessionSettings,
  input: { anonymous?: boolean },
): void {
  if (status !== "live" && status !== "scheduled") {
    throw new AppError("QA_CLOSED", 409, "Questions are taken while the session is scheduled or live.");
  }
  if (!settings.qa.enabled) throw new AppError("QA_CLOSED", 409, "Q&A is turned off for this session.");
  if (input.anonymous && !settings.qa.allowAnonymous) {
    throw new AppError("ANONYMOUS_NOT_ALLOWED", 409, "This session does not take anonymous questions.");
  }
}

/** The screened text and the status a new question gets, or the refusal (invalid, offensive, a duplicate). */
export function decideAsk(text: string, context: AskContextEntry) {
  const verdict = screenText(text, context.settings);
  const duplicate = findDuplicate(verdict.text, context.board);
  if (duplicate) {
    throw new AppError(
      "DUPLICATE_QUESTION",
      409,
      "This question has been asked already; vote for it instead.",
      {
        members: { existingQuestionId: duplicate.id },
      },
    );
  }
  const held = context.settings.qa.moderation === "pre" || verdict.action === "hold";
  return { verdict, status: held ? ("pending" as const) : ("visible" as const) };
}

/**
 * A question's text trimmed, within the session's length limit and through its content policy (links,
 * profanity): what may be stored, and whether it must be held; refusals are thrown.
 */
export function screenText(raw: string, settings: SessionSettings) {
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
