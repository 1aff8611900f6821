import type { Logger } from "pino";
import type { Database } from "../../db/client.js";
import { decodeCursor, encodeCursor } from "../../lib/cursor.js";
import { AppError } from "../../lib/errors.js";
import type { Actor } from "../auth/actor.js";
import { ignoreEvents, type Publish } from "../../lib/domain-events.js";
import { appendSessionEvent } from "../analytics/analytics.service.js";
import type { SessionAccess } from "../sessions/session-access.service.js";
import type { AttendeeRevocations } from "./attendee-revocations.js";
import { listAttendees, sanctionAttendee, type Sanction } from "./attendees.repository.js";

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
  publish?: Publish;
}) {
  const { db, sessionAccess, revocations, logger, publish = ignoreEvents } = deps;

  async function sanction(
    actor: Actor,
    sessionId: string,
    attendeeId: string,
    kind: Sanction,
  ): Promise<void> {
    await sessionAccess.authorize(actor, "attendees.moderate", sessionId);
    const changed = await db.transaction(async (tx) => {
      const outcome = await sanctionAttendee(tx, sessionId, attendeeId, kind, new Date());
      if (outcome === "missing")
        throw new AppError("ATTENDEE_NOT_FOUND", 404, "Attendee not found in this session.");
      if (outcome === "unchanged") return false;
      const type = kind === "ban" ? "attendee.banned" : "attendee.removed";
      await appendSessionEvent(tx, { sessionId, type, actor, payload: { attendeeId } });
      return true;
    });
    if (changed) {
      // Its open sockets are told and closed on every instance; the staff sees it go.
      publish({
        type: "attendee.left",
        sessionId,
        attendeeId,
        reason: kind === "ban" ? "banned" : "removed",
      });
      publish({ type: "attendees.changed", sessionId });
    }
    // Committed: from here the database refuses the attendee on every instance's next load; tell them now.
    await revocations.revoke(attendeeId).catch((error: unknown) => {
      logger.warn(
        { err: error, attendeeId },
        "attendee revocation not published; other instances read it from the database within 30 s",
      );
    });
  }

  return {
    /** The session's attendees for its host, co-hosts and moderators, by join time, with their engagement. */
    async list(
      actor: Actor,
      sessionId: string,
      query: { status?: string[]; cursor?: string; limit: number },
    ) {
      await sessionAccess.authorize(actor, "attendees.read", sessionId);
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      const rows = await listAttendees(db, {
        sessionId,
        status: query.status,
        after: after && { joinedAt: after.at, id: after.id },
        limit: query.limit,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map(({ cursorAt: _cursor, joinedAt, lastSeenAt, leftAt, ...attendee }) => ({
          ...attendee,
          joinedAt: joinedAt.toISOString(),
          lastSeenAt: lastSeenAt.toISOString(),
          leftAt: leftAt?.toISOString() ?? null,
        })),
        nextCursor: rows.length > query.limit && last ? encodeCursor(last.cursorAt, last.id) : null,
      };
    },
    ban: (actor: Actor, sessionId: string, attendeeId: string) =>
      sanction(actor, sessionId, attendeeId, "ban"),
    remove: (actor: Actor, sessionId: string, attendeeId: string) =>
      sanction(actor, sessionId, attendeeId, "remove"),
  };
}

export type AttendeeModeration = ReturnType<typeof createAttendeeModeration>;
