import type { Database } from "../../db/client.js";
import { AppError } from "../../lib/errors.js";
import { sqlState } from "../../lib/sql-state.js";
import { appendSessionEvent } from "../analytics/analytics.service.js";
import type { Actor, AttendeeActor } from "../auth/actor.js";
import { ignoreEvents, type Publish } from "../../lib/domain-events.js";
import { sessionRow } from "../sessions/sessions.service.js";
import type { AttendeeTokens } from "./attendee-token.js";
import {
  findPeerId,
  reseatAttendee,
  touchAttendees,
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
export function createAttendance(deps: { db: Database; tokens: AttendeeTokens; publish?: Publish }) {
  const { db, tokens, publish = ignoreEvents } = deps;

  /** Records a presence change; resolves to the previous status. Refuses a seat beyond capacity. */
  async function changePresence(
    actor: AttendeeActor,
    status: PresenceStatus,
    quality?: Record<string, number>,
  ): Promise<string> {
    const previous = await takeSeat(() =>
      db.transaction(async (tx) => {
        const touched = await touchPresence(tx, actor.attendeeId, status);
        if (!touched)
          throw new AppError("ATTENDEE_LEFT", 409, "This attendee has left; join the session again.");
        if (touched.previous !== status) {
          await appendSessionEvent(tx, {
            sessionId: actor.sessionId,
            type: "attendee.status",
            actor,
            payload: { attendeeId: actor.attendeeId, from: touched.previous, to: status, quality },
          });
        }
        return touched.previous;
      }),
    );
    if (previous !== status) publish({ type: "attendees.changed", sessionId: actor.sessionId });
    return previous;
  }

  return {
    async join(
      actor: Actor,
      sessionId: string,
      input: { name: string; email?: string },
    ): Promise<JoinResult> {
      const seated = await takeSeat(async () => {
        const returning =
          actor.kind === "attendee" && actor.sessionId === sessionId ? actor.attendeeId : null;
        if (returning) {
          const session = await sessionRow(db, sessionId);
          if (!session) throw sessionNotFound();
          if (session.status === "ended") throw sessionEnded();
          if (session.status === "draft") throw sessionNotOpen();
          const back = await reseatAttendee(db, sessionId, returning);
          if (back) {
            return {
              attendee: back,
              session: { title: session.title, status: session.status },
              rejoined: true,
            };
          }
        }
        const seat = await seatNewAttendee(db, {
          sessionId,
          displayName: input.name,
          email: input.email ?? null,
        });
        if (seat.outcome === "missing") throw sessionNotFound();
        if (seat.outcome === "full") throw sessionFull();
        if (seat.outcome === "closed") throw seat.status === "ended" ? sessionEnded() : sessionNotOpen();
        return { attendee: seat.attendee, session: seat.session, rejoined: false };
      });
      if (!seated.rejoined) publish({ type: "attendee.joined", sessionId, attendee: seated.attendee });
      publish({ type: "attendees.changed", sessionId });
      const issued = await tokens.issue({ attendeeId: seated.attendee.id, sessionId });
      return {
        attendee: { ...seated.attendee, status: "connected" },
        token: issued.token,
        expiresAt: issued.expiresAt.toISOString(),
        session: { id: sessionId, ...seated.session },
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
      await changePresence(actor, input.status, input.quality);
    },

    /**
     * A real-time connection of the attendee opened: it is connected (taking its seat back if it had lost it).
     * Resolves to its peer id.
     */
    async socketConnected(actor: AttendeeActor): Promise<{ peerId: string }> {
      await changePresence(actor, "connected");
      const peerId = await findPeerId(db, actor.attendeeId);
      if (!peerId)
        throw new AppError("ATTENDEE_LEFT", 409, "This attendee has left; join the session again.");
      return { peerId };
    },

    /**
     * Its last real-time connection closed: it is reconnecting and keeps its seat until the presence sweeper
     * finds it silent past the grace period. Nothing to do if it left meanwhile.
     */
    async socketDisconnected(actor: AttendeeActor): Promise<void> {
      await changePresence(actor, "reconnecting").catch((error: unknown) => {
        if (!(error instanceof AppError)) throw error;
      });
    },

    /** Signs of life for attendees whose sockets are open on this instance (one statement). */
    keepAlive: (attendeeIds: string[]) => touchAttendees(db, attendeeIds),

    /** Leaving frees the seat; the token stays good for coming back (the same attendee, its questions and votes). */
    async leave(actor: Actor, sessionId: string): Promise<void> {
      if (actor.kind !== "attendee" || actor.sessionId !== sessionId) {
        throw new AppError("FORBIDDEN", 403, "Leave with the attendee token of this session.");
      }
      if (await unseatAttendee(db, actor.attendeeId)) {
        publish({ type: "attendee.left", sessionId, attendeeId: actor.attendeeId, reason: "left" });
        publish({ type: "attendees.changed", sessionId });
      }
    },
  };
}

export type Attendance = ReturnType<typeof createAttendance>;

const sessionNotFound = () => new AppError("SESSION_NOT_FOUND", 404, "Session not found.");
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
