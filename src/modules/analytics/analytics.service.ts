import type { Executor } from "../../db/client.js";
import type { Actor } from "../auth/actor.js";
import { sessionEvents } from "./analytics.table.js";

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
