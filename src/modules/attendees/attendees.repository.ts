import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { attendees } from "./attendees.table.js";

export interface SeatedAttendee {
  id: string;
  displayName: string;
  peerId: string;
}

export type NewSeat =
  | { outcome: "seated"; attendee: SeatedAttendee; session: { title: string; status: "scheduled" | "live" } }
  | { outcome: "full" }
  | { outcome: "missing" }
  | { outcome: "closed"; status: "draft" | "ended" };

/**
 * A new attendee, seated and logged (`attendee.joined`) in one statement, the session read included: one round
 * trip per join. The seat is taken by the `attendees_seats` trigger at the end of the statement, and the row lock
 * it takes on the session lasts only until this statement commits: no round trip to the application happens
 * while concurrent joins wait on it. A session already full or not open is answered without writing anything;
 * one that filled up (or closed) meanwhile is refused by the trigger as SQLSTATE PD001 (full), PD002 (ended) or
 * PD003 (not open). The email is kept only when the session's settings ask for it (`collectAttendeeEmail`,
 * false when absent, as in sessions.settings.ts).
 */
export async function seatNewAttendee(
  db: Executor,
  values: { sessionId: string; displayName: string; email: string | null },
): Promise<NewSeat> {
  const { rows } = await db.execute<{
    title: string;
    status: "draft" | "scheduled" | "live" | "ended";
    id: string | null;
    display_name: string | null;
    peer_id: string | null;
  }>(sql`
    with target as (
      select id, title, status, attendees_present >= capacity as is_full,
             coalesce((settings ->> 'collectAttendeeEmail')::boolean, false) as keeps_email
      from sessions where id = ${values.sessionId}
    ), seated as (
      insert into attendees (session_id, display_name, email)
      select id, ${values.displayName}, case when keeps_email then ${values.email}::text end
      from target where not is_full and status in ('scheduled', 'live')
      returning id, session_id, display_name, peer_id
    ), logged as (
      insert into session_events (session_id, type, actor_type, actor_id, payload)
      select session_id, 'attendee.joined', 'attendee', id, jsonb_build_object('attendeeId', id) from seated
    )
    select target.title, target.status, seated.id, seated.display_name, seated.peer_id
    from target left join seated on true`);
  const row = rows[0];
  if (!row) return { outcome: "missing" };
  if (row.status === "draft" || row.status === "ended") return { outcome: "closed", status: row.status };
  if (!row.id) return { outcome: "full" };
  return {
    outcome: "seated",
    attendee: { id: row.id, displayName: row.display_name!, peerId: row.peer_id! },
    session: { title: row.title, status: row.status },
  };
}

/** The attendee gone (left), its seat freed and `attendee.left` logged, in one statement. False if it already was. */
export async function unseatAttendee(db: Executor, attendeeId: string): Promise<boolean> {
  const { rows } = await db.execute<{ id: string }>(sql`
    with gone as (
      update attendees set status = 'left', left_at = now()
      where id = ${attendeeId} and status <> 'left'
      returning id, session_id
    ), logged as (
      insert into session_events (session_id, type, actor_type, actor_id, payload)
      select session_id, 'attendee.left', 'attendee', id, jsonb_build_object('attendeeId', id) from gone
    )
    select id from gone`);
  return rows.length > 0;
}

/**
 * The attendee back in its seat (connected), in one statement like `seatNewAttendee`; `attendee.rejoined` is
 * logged only when it had stopped being present. Null when the attendee is unknown here, banned or removed.
 */
export async function reseatAttendee(
  db: Executor,
  sessionId: string,
  attendeeId: string,
): Promise<SeatedAttendee | null> {
  const { rows } = await db.execute<{ id: string; display_name: string; peer_id: string }>(sql`
    with previous as (
      select id, status in ('connected', 'reconnecting') as was_present from attendees
      where id = ${attendeeId} and session_id = ${sessionId} and banned_at is null and removed_at is null
      for no key update
    ), seated as (
      update attendees set status = 'connected', left_at = null, last_seen_at = now()
      from previous where attendees.id = previous.id
      returning attendees.id, attendees.session_id, attendees.display_name, attendees.peer_id, previous.was_present
    ), logged as (
      insert into session_events (session_id, type, actor_type, actor_id, payload)
      select session_id, 'attendee.rejoined', 'attendee', id, jsonb_build_object('attendeeId', id)
      from seated where not was_present
    )
    select id, display_name, peer_id from seated`);
  const row = rows[0];
  return row ? { id: row.id, displayName: row.display_name, peerId: row.peer_id } : null;
}

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
    // Not "update": that strength would also block the foreign-key checks of this attendee's own writes (an ask
    // locks the session's row, then checks its author), while this transaction waits for the session's row to
    // move a seat: a deadlock. Its changes are to columns no key uses.
    .for("no key update");
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

export async function findPeerId(db: Executor, attendeeId: string): Promise<string | null> {
  const [row] = await db
    .select({ peerId: attendees.peerId })
    .from(attendees)
    .where(eq(attendees.id, attendeeId))
    .limit(1);
  return row?.peerId ?? null;
}

/**
 * Refreshes the last sign of life of these attendees while they are present (no status change, no event). The
 * ids go as one array parameter: an instance holds thousands of sockets, and one parameter per id would cost a
 * query built and planned afresh each time and fail past the protocol's 65,535 parameters.
 */
export async function touchAttendees(db: Executor, attendeeIds: string[]): Promise<void> {
  if (attendeeIds.length === 0) return;
  await db.execute(sql`
    update attendees set last_seen_at = now()
    where id = any(${sql.param(attendeeIds)}::uuid[]) and status in ('connected', 'reconnecting')`);
}
