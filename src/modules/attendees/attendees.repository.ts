import { and, count, eq, inArray, isNull } from "drizzle-orm";
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
