import { and, asc, count, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { attendees } from "./attendees.table.js";

export type Sanction = "ban" | "remove";

/**
 * Marks the attendee banned or removed (and gone). Resolves to "changed", "unchanged" (it already was) or
 * "missing" (no such attendee in this session).
 */
export async function sanctionAttendee(
  db: Executor,
  sessionId: string,
  attendeeId: string,
  kind: Sanction,
  at: Date,
): Promise<"changed" | "unchanged" | "missing"> {
  const column = kind === "ban" ? attendees.bannedAt : attendees.removedAt;
  const changed = await db
    .update(attendees)
    .set({ [kind === "ban" ? "bannedAt" : "removedAt"]: at, status: "left", leftAt: at })
    .where(and(eq(attendees.id, attendeeId), eq(attendees.sessionId, sessionId), isNull(column)))
    .returning({ id: attendees.id });
  if (changed.length > 0) return "changed";
  const [existing] = await db
    .select({ id: attendees.id })
    .from(attendees)
    .where(and(eq(attendees.id, attendeeId), eq(attendees.sessionId, sessionId)))
    .limit(1);
  return existing ? "unchanged" : "missing";
}

/** Attendees present now (connected or reconnecting) per session, for the sessions given. */
export async function countPresent(db: Executor, sessionIds: string[]): Promise<Map<string, number>> {
  if (sessionIds.length === 0) return new Map();
  const rows = await db
    .select({ sessionId: attendees.sessionId, present: count() })
    .from(attendees)
    .where(
      and(inArray(attendees.sessionId, sessionIds), inArray(attendees.status, ["connected", "reconnecting"])),
    )
    .groupBy(attendees.sessionId);
  return new Map(rows.map((row) => [row.sessionId, row.present]));
}

export type PresenceStatus = "connected" | "reconnecting" | "disconnected";

/** Records a sign of life; resolves to the previous status, or null when the attendee is gone (left, removed). */
export async function touchPresence(
  db: Executor,
  attendeeId: string,
  status: PresenceStatus,
): Promise<{ previous: string } | null> {
  const [row] = await db
    .select({ status: attendees.status })
    .from(attendees)
    .where(eq(attendees.id, attendeeId))
    .for("update");
  if (!row || row.status === "left") return null;
  await db.update(attendees).set({ status, lastSeenAt: new Date() }).where(eq(attendees.id, attendeeId));
  return { previous: row.status };
}

/**
 * One page of a session's attendees, by join time, with their engagement. (The subqueries name
 * "attendees"."id" in full: Drizzle would print the column bare, which inside them means their own id.) Questions and votes are counted
 * in the same query from the Q&A tables (read only, and indexed by attendee), so a page costs one round trip.
 */
export function listAttendees(
  db: Executor,
  query: { sessionId: string; status?: string[]; after?: { joinedAt: string; id: string }; limit: number },
) {
  const conditions = [eq(attendees.sessionId, query.sessionId)];
  if (query.status?.length) conditions.push(inArray(attendees.status, query.status as PresenceStatus[]));
  if (query.after) {
    conditions.push(
      sql`(${attendees.joinedAt}, ${attendees.id}) > (${query.after.joinedAt}::timestamptz, ${query.after.id}::uuid)`,
    );
  }
  return db
    .select({
      id: attendees.id,
      displayName: attendees.displayName,
      status: attendees.status,
      joinedAt: attendees.joinedAt,
      lastSeenAt: attendees.lastSeenAt,
      leftAt: attendees.leftAt,
      cursorAt: sql<string>`${attendees.joinedAt}::text`,
      questionsAsked: sql<number>`(select count(*)::int from questions q where q.author_attendee_id = "attendees"."id")`,
      votesCast: sql<number>`(select count(*)::int from question_votes v where v.attendee_id = "attendees"."id")`,
    })
    .from(attendees)
    .where(and(...conditions))
    .orderBy(asc(attendees.joinedAt), asc(attendees.id))
    .limit(query.limit + 1);
}
