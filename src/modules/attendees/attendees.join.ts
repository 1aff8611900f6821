import { and, count, eq, inArray } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import { AppError } from "../../lib/errors.js";
import { appendSessionEvent } from "../analytics/analytics.service.js";
import type { Actor } from "../auth/actor.js";
import { lockSession } from "../sessions/sessions.service.js";
import { parseStoredSettings } from "../sessions/sessions.settings.js";
import type { AttendeeTokens } from "./attendee-token.js";
import { touchPresence, type PresenceStatus } from "./attendees.repository.js";
import { attendees } from "./attendees.table.js";

export interface JoinResult {
  attendee: { id: string; displayName: string; peerId: string; status: "connected" };
  token: string;
  expiresAt: string;
  session: { id: string; title: string; status: "scheduled" | "live" };
  rejoined: boolean;
}

const PRESENT = ["connected", "reconnecting"] as const;

/**
 * Joining a session with a name, leaving it, and coming back. A seat is taken atomically: joins into one
 * session queue on its row lock, so capacity holds exactly however many arrive at once. A join is answered
 * only after its commit (and its `attendee.joined` event) are in.
 */
export function createAttendance(deps: { db: Database; tokens: AttendeeTokens }) {
  const { db, tokens } = deps;

  return {
    async join(
      actor: Actor,
      sessionId: string,
      input: { name: string; email?: string },
    ): Promise<JoinResult> {
      const rejoining = actor.kind === "attendee" && actor.sessionId === sessionId ? actor.attendeeId : null;
      const result = await db.transaction(async (tx) => {
        const session = await lockSession(tx, sessionId);
        if (!session) throw new AppError("SESSION_NOT_FOUND", 404, "Session not found.");
        if (session.status === "ended") throw new AppError("SESSION_ENDED", 410, "This session has ended.");
        if (session.status === "draft") {
          throw new AppError("SESSION_NOT_OPEN", 409, "This session is not open yet.");
        }
        const [present] = await tx
          .select({ n: count() })
          .from(attendees)
          .where(and(eq(attendees.sessionId, sessionId), inArray(attendees.status, [...PRESENT])));

        if (rejoining) {
          const [known] = await tx
            .select()
            .from(attendees)
            .where(and(eq(attendees.id, rejoining), eq(attendees.sessionId, sessionId)));
          if (known && !known.bannedAt && !known.removedAt) {
            const wasPresent = (PRESENT as readonly string[]).includes(known.status);
            if (!wasPresent && (present?.n ?? 0) >= session.capacity) throw sessionFull();
            const [back] = await tx
              .update(attendees)
              .set({ status: "connected", leftAt: null, lastSeenAt: new Date() })
              .where(eq(attendees.id, rejoining))
              .returning();
            if (!wasPresent) {
              await appendSessionEvent(tx, {
                sessionId,
                type: "attendee.rejoined",
                actor,
                payload: { attendeeId: rejoining },
              });
            }
            return { session, attendee: back!, rejoined: true };
          }
        }

        if ((present?.n ?? 0) >= session.capacity) throw sessionFull();
        const settings = parseStoredSettings(session.settings);
        const [created] = await tx
          .insert(attendees)
          .values({
            sessionId,
            displayName: input.name,
            // Stored only when the session asks for it: no personal data kept without a reason.
            email: settings.collectAttendeeEmail ? (input.email ?? null) : null,
          })
          .returning();
        await appendSessionEvent(tx, {
          sessionId,
          type: "attendee.joined",
          actor: { kind: "attendee", attendeeId: created!.id, sessionId, tokenId: "" },
          payload: { attendeeId: created!.id },
        });
        return { session, attendee: created!, rejoined: false };
      });
      const issued = await tokens.issue({ attendeeId: result.attendee.id, sessionId });
      return {
        attendee: {
          id: result.attendee.id,
          displayName: result.attendee.displayName,
          peerId: result.attendee.peerId,
          status: "connected",
        },
        token: issued.token,
        expiresAt: issued.expiresAt.toISOString(),
        session: {
          id: result.session.id,
          title: result.session.title,
          status: result.session.status as "scheduled" | "live",
        },
        rejoined: result.rejoined,
      };
    },

    /**
     * A sign of life with the client's connection state. Only a change of state is logged (heartbeats are
     * frequent); quality figures travel with it in the event.
     */
    async updateStatus(
      actor: Actor,
      input: { status: PresenceStatus; quality?: Record<string, number> },
    ): Promise<void> {
      if (actor.kind !== "attendee") {
        throw new AppError("FORBIDDEN", 403, "Only an attendee reports its own connection state.");
      }
      await db.transaction(async (tx) => {
        const touched = await touchPresence(tx, actor.attendeeId, input.status);
        if (!touched)
          throw new AppError("ATTENDEE_LEFT", 409, "This attendee has left; join the session again.");
        if (touched.previous !== input.status) {
          await appendSessionEvent(tx, {
            sessionId: actor.sessionId,
            type: "attendee.status",
            actor,
            payload: {
              attendeeId: actor.attendeeId,
              from: touched.previous,
              to: input.status,
              quality: input.quality,
            },
          });
        }
      });
    },

    /** Leaving frees the seat; the token stays good for coming back (the same attendee, its questions and votes). */
    async leave(actor: Actor, sessionId: string): Promise<void> {
      if (actor.kind !== "attendee" || actor.sessionId !== sessionId) {
        throw new AppError("FORBIDDEN", 403, "Leave with the attendee token of this session.");
      }
      await db.transaction(async (tx) => {
        const left = await tx
          .update(attendees)
          .set({ status: "left", leftAt: new Date() })
          .where(
            and(eq(attendees.id, actor.attendeeId), inArray(attendees.status, [...PRESENT, "disconnected"])),
          )
          .returning({ id: attendees.id });
        if (left.length > 0) {
          await appendSessionEvent(tx, {
            sessionId,
            type: "attendee.left",
            actor,
            payload: { attendeeId: actor.attendeeId },
          });
        }
      });
    },
  };
}

export type Attendance = ReturnType<typeof createAttendance>;

const sessionFull = () =>
  new AppError("SESSION_FULL", 409, "This session is full; try again when a seat frees up.");
