import type { Logger } from "pino";
import type { Database } from "../../db/client.js";
import { AppError } from "../../lib/errors.js";
import type { Actor } from "../auth/actor.js";
import { appendSessionEvent } from "../analytics/analytics.service.js";
import type { SessionAccess } from "../sessions/session-access.service.js";
import type { AttendeeRevocations } from "./attendee-revocations.js";
import { countPresent, sanctionAttendee, type Sanction } from "./attendees.repository.js";

/**
 * What moderators do to attendees. Removing ends the attendee's presence and its tokens (it may join again, as
 * someone new); banning does the same and is recorded as a ban. Both are written (with their session event)
 * before every instance is told to refuse the attendee's tokens. Repeating one is harmless.
 */
export function createAttendeeModeration(deps: {
  db: Database;
  sessionAccess: SessionAccess;
  revocations: AttendeeRevocations;
  logger: Logger;
}) {
  const { db, sessionAccess, revocations, logger } = deps;

  async function sanction(
    actor: Actor,
    sessionId: string,
    attendeeId: string,
    kind: Sanction,
  ): Promise<void> {
    await sessionAccess.authorize(actor, "attendees.moderate", sessionId);
    await db.transaction(async (tx) => {
      const outcome = await sanctionAttendee(tx, sessionId, attendeeId, kind, new Date());
      if (outcome === "missing")
        throw new AppError("ATTENDEE_NOT_FOUND", 404, "Attendee not found in this session.");
      if (outcome === "unchanged") return;
      const type = kind === "ban" ? "attendee.banned" : "attendee.removed";
      await appendSessionEvent(tx, { sessionId, type, actor, payload: { attendeeId } });
    });
    // Committed: from here the database refuses the attendee on every instance's next load; tell them now.
    await revocations.revoke(attendeeId).catch((error: unknown) => {
      logger.warn(
        { err: error, attendeeId },
        "attendee revocation not published; other instances read it from the database within 30 s",
      );
    });
  }

  return {
    ban: (actor: Actor, sessionId: string, attendeeId: string) =>
      sanction(actor, sessionId, attendeeId, "ban"),
    remove: (actor: Actor, sessionId: string, attendeeId: string) =>
      sanction(actor, sessionId, attendeeId, "remove"),
  };
}

export type AttendeeModeration = ReturnType<typeof createAttendeeModeration>;

/** How many attendees each of these sessions has right now (for session lists; one query). */
export function presentCounts(db: Database, sessionIds: string[]): Promise<Map<string, number>> {
  return countPresent(db, sessionIds);
}
