import type { Executor } from "../../db/client.js";
import type { Actor } from "../auth/actor.js";
import { inArray } from "drizzle-orm";
import { sessionAnalytics, sessionEvents } from "./analytics.table.js";

export interface SessionEvent {
  sessionId: string;
  /** `<entity>.<past tense>`, e.g. `attendee.banned`, `member.granted`. */
  type: string;
  actor: Actor;
  payload?: Record<string, unknown>;
}

/**
 * Appends to a session's event log, inside the caller's transaction (write first, then tell: the event exists
 * exactly when the change it describes committed). Analytics, audits and webhooks read this log.
 */
export async function appendSessionEvent(tx: Executor, event: SessionEvent): Promise<void> {
  const { actor } = event;
  await tx.insert(sessionEvents).values({
    sessionId: event.sessionId,
    type: event.type,
    actorType:
      actor.kind === "apiKey"
        ? "api_key"
        : actor.kind === "attendee"
          ? "attendee"
          : actor.kind === "user"
            ? "user"
            : "system",
    actorId:
      actor.kind === "user" || actor.kind === "apiKey"
        ? actor.userId
        : actor.kind === "attendee"
          ? actor.attendeeId
          : null,
    payload: event.payload ?? {},
  });
}

export interface SessionTotals {
  peakAttendees: number;
  questionsAsked: number;
}

/** The running totals of these sessions (sessions without any yet are absent from the map). */
export async function sessionTotals(db: Executor, sessionIds: string[]): Promise<Map<string, SessionTotals>> {
  if (sessionIds.length === 0) return new Map();
  const rows = await db
    .select({
      sessionId: sessionAnalytics.sessionId,
      peakAttendees: sessionAnalytics.peakAttendees,
      questionsAsked: sessionAnalytics.questionsAsked,
    })
    .from(sessionAnalytics)
    .where(inArray(sessionAnalytics.sessionId, sessionIds));
  return new Map(rows.map(({ sessionId, ...totals }) => [sessionId, totals]));
}
