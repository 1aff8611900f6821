import { sql, type SQL, type WithSubquery } from "drizzle-orm";
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
  await tx.insert(sessionEvents).values(eventRow(event));
}

/**
 * The same append as a common table expression for the caller's own write, when the change and its event can
 * be one statement (one round trip, atomic without a transaction): `db.with(sessionEventAppend(db, e)).insert(…)`.
 */
export function sessionEventAppend(db: Executor, event: SessionEvent) {
  return db
    .$with("session_event_appended", { id: sessionEvents.id })
    .as(db.insert(sessionEvents).values(eventRow(event)).returning({ id: sessionEvents.id }).getSQL());
}

/**
 * An event for each row that `source`, a data-modifying CTE of the caller, returns (none: nothing appended), with
 * values read from that row: a change whose event must carry what only the change knows (its new version).
 */
export function sessionEventAppendFor(
  db: Executor,
  source: WithSubquery,
  event: { sessionId: SQL; type: string; actor: Actor; payload: SQL },
) {
  const { actorType, actorId } = eventRow({ sessionId: "", type: event.type, actor: event.actor });
  return db.$with("session_event_appended", { id: sessionEvents.id }).as(
    sql`insert into ${sessionEvents} (session_id, type, actor_type, actor_id, payload)
        select ${event.sessionId}, ${event.type}, ${actorType}, ${actorId}::uuid, ${event.payload} from ${source}
        returning id`,
  );
}

function eventRow(event: SessionEvent) {
  const { actor } = event;
  return {
    sessionId: event.sessionId,
    type: event.type,
    actorType:
      actor.kind === "apiKey"
        ? ("api_key" as const)
        : actor.kind === "attendee"
          ? ("attendee" as const)
          : actor.kind === "user"
            ? ("user" as const)
            : ("system" as const),
    actorId:
      actor.kind === "user" || actor.kind === "apiKey"
        ? actor.userId
        : actor.kind === "attendee"
          ? actor.attendeeId
          : null,
    payload: event.payload ?? {},
  };
}
