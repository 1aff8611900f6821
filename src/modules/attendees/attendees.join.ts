import type { Database } from "../../db/client.js";
import { AppError } from "../../lib/errors.js";
import { sqlState } from "../../lib/sql-state.js";
import { appendSessionEvent } from "../analytics/analytics.service.js";
import type { Actor } from "../auth/actor.js";
import { sessionRow } from "../sessions/sessions.service.js";
import { parseStoredSettings } from "../sessions/sessions.settings.js";
import type { AttendeeTokens } from "./attendee-token.js";
import {
  reseatAttendee,
  seatNewAttendee,
  touchPresence,
  unseatAttendee,
  type PresenceStatus,
} from "./attendees.repository.js";

export interface JoinResult {
  attendee: { id: string; displayName: string; peerId: string; status: "connected" };
  token: string;
  expiresAt: string;
  session: { id: string; title: string; status: "scheduled" | "live" };
  rejoined: boolean;
}

/** The SQLSTATEs the `attendees_seats` trigger raises when it refuses a seat (migration 0005). */
const SEAT_REFUSED = { full: "PD001", ended: "PD002", notOpen: "PD003" } as const;

/**
 * Joining a session with a name, leaving it, and coming back. Seats are counted on the session row by a
 * database trigger (migration 0005) that refuses a seat beyond capacity, so capacity holds exactly however many
 * arrive at once, and each join is one statement: the row lock is never held across a round trip. A join is
 * answered only after its commit (and its `attendee.joined` event) are in.
 */
export function createAttendance(deps: { db: Database; tokens: AttendeeTokens }) {
  const { db, tokens } = deps;

  return {
    async join(
      actor: Actor,
      sessionId: string,
      input: { name: string; email?: string },
    ): Promise<JoinResult> {
      const session = await sessionRow(db, sessionId);
      if (!session) throw new AppError("SESSION_NOT_FOUND", 404, "Session not found.");
      if (session.status === "ended") throw sessionEnded();
      if (session.status === "draft") throw sessionNotOpen();
      const returning = actor.kind === "attendee" && actor.sessionId === sessionId ? actor.attendeeId : null;
      const seated = await takeSeat(async () => {
        const back = returning ? await reseatAttendee(db, sessionId, returning) : null;
        if (back) return { attendee: back, rejoined: true };
        // A full session refuses newcomers without writing anything (the trigger would refuse them too).
        if (session.attendeesPresent >= session.capacity) throw sessionFull();
        const settings = parseStoredSettings(session.settings);
        const attendee = await seatNewAttendee(db, {
          sessionId,
          displayName: input.name,
          // Stored only when the session asks for it: no personal data kept without a reason.
          email: settings.collectAttendeeEmail ? (input.email ?? null) : null,
        });
        return { attendee, rejoined: false };
      });
      const issued = await tokens.issue({ attendeeId: seated.attendee.id, sessionId });
      return {
        attendee: { ...seated.attendee, status: "connected" },
        token: issued.token,
        expiresAt: issued.expiresAt.toISOString(),
        session: { id: session.id, title: session.title, status: session.status },
        rejoined: seated.rejoined,
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
      await takeSeat(() =>
        db.transaction(async (tx) => {
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
        }),
      );
    },

    /** Leaving frees the seat; the token stays good for coming back (the same attendee, its questions and votes). */
    async leave(actor: Actor, sessionId: string): Promise<void> {
      if (actor.kind !== "attendee" || actor.sessionId !== sessionId) {
        throw new AppError("FORBIDDEN", 403, "Leave with the attendee token of this session.");
      }
      await unseatAttendee(db, actor.attendeeId);
    },
  };
}

export type Attendance = ReturnType<typeof createAttendance>;

const sessionFull = () =>
  new AppError("SESSION_FULL", 409, "This session is full; try again when a seat frees up.");
const sessionEnded = () => new AppError("SESSION_ENDED", 410, "This session has ended.");
const sessionNotOpen = () => new AppError("SESSION_NOT_OPEN", 409, "This session is not open yet.");

/** Runs a change that may take a seat, turning the seat trigger's refusals into our errors. */
async function takeSeat<T>(change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (error) {
    const state = sqlState(error);
    if (state === SEAT_REFUSED.full) throw sessionFull();
    if (state === SEAT_REFUSED.ended) throw sessionEnded();
    if (state === SEAT_REFUSED.notOpen) throw sessionNotOpen();
    throw error;
  }
}
