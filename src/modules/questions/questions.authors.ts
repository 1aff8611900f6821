import type { Database } from "../../db/client.js";
import type { Actor } from "../auth/actor.js";
import { assertSession } from "../auth/policy.js";
import type { SessionAccess } from "../sessions/session-access.service.js";
import { authorNotAttendee, questionNotFound } from "./questions.errors.js";
import { findQuestion } from "./questions.repository.js";

/**
 * Who asked a question, for the moderators of its session only, so they can act on the asker from the board (a
 * ban) without the author's id ever being sent: anonymous questions stay anonymous to every client.
 */
export function createQuestionAuthors(deps: { db: Database; sessionAccess: SessionAccess }) {
  return {
    async authorOf(actor: Actor, questionId: string): Promise<{ sessionId: string; attendeeId: string }> {
      const found = await findQuestion(deps.db, questionId);
      if (!found) throw questionNotFound();
      const { sessionId, authorAttendeeId } = found.question;
      if (actor.kind === "attendee" && actor.sessionId !== sessionId) throw questionNotFound();
      const relations = await deps.sessionAccess.authorize(actor, "questions.read", sessionId).catch(() => {
        throw questionNotFound();
      });
      assertSession(actor, "attendees.moderate", relations);
      if (!authorAttendeeId) throw authorNotAttendee();
      return { sessionId, attendeeId: authorAttendeeId };
    },
  };
}

export type QuestionAuthors = ReturnType<typeof createQuestionAuthors>;
