import { and, eq, isNull } from "drizzle-orm";
import type { Logger } from "pino";
import type { Database } from "../../db/client.js";
import { AppError } from "../../lib/errors.js";
import type { Actor } from "../auth/actor.js";
import { sessionEvents } from "../analytics/analytics.table.js";
import type { SessionAccess } from "../sessions/session-access.service.js";
import type { AttendeeRevocations } from "./attendee-revocations.js";
import { attendees } from "./attendees.table.js";

type Sanction = "ban" | "remove";

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
    const now = new Date();
    const column = kind === "ban" ? attendees.bannedAt : attendees.removedAt;
    await db.transaction(async (tx) => {
      const changed = await tx
        .update(attendees)
        .set({ [kind === "ban" ? "bannedAt" : "removedAt"]: now, status: "left", leftAt: now })
        .where(and(eq(attendees.id, attendeeId), eq(attendees.sessionId, sessionId), isNull(column)))
        .returning({ id: attendees.id });
      if (changed.length === 0) {
        const [existing] = await tx
          .select({ id: attendees.id })
          .from(attendees)
          .where(and(eq(attendees.id, attendeeId), eq(attendees.sessionId, sessionId)))
          .limit(1);
        if (!existing) throw new AppError("ATTENDEE_NOT_FOUND", 404, "Attendee not found in this session.");
        return;
      }
      await tx.insert(sessionEvents).values({
        sessionId,
        type: kind === "ban" ? "attendee.banned" : "attendee.removed",
        actorType: actor.kind === "apiKey" ? "api_key" : "user",
        actorId: actor.kind === "user" || actor.kind === "apiKey" ? actor.userId : null,
        payload: { attendeeId },
      });
    });
    // Committed: from here the database refuses the attendee on every instance's next load; tell them now.
    await revocations.revoke(attendeeId).catch((error: unknown) => {
      logger.warn(
        { err: error, attendeeId },
        "attendee revocation not published; other instances learn it on restart",
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
