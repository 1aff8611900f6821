import { and, desc, eq, gte, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import type { SessionSettings } from "./sessions.settings.js";
import { sessions } from "./sessions.table.js";

export type SessionRow = typeof sessions.$inferSelect;

export async function insertSession(
  db: Executor,
  values: {
    workspaceId: string;
    ownerId: string;
    title: string;
    description: string | null;
    joinCode: string;
    capacity: number | undefined;
    settings: SessionSettings;
    scheduledAt: Date | null;
  },
): Promise<SessionRow> {
  const [row] = await db
    .insert(sessions)
    .values({ ...values, status: values.scheduledAt ? "scheduled" : "draft" })
    .returning();
  return row!;
}

export async function findSession(db: Executor, sessionId: string, options: { lock?: boolean } = {}) {
  const query = db.select().from(sessions).where(eq(sessions.id, sessionId)).limit(1);
  const [row] = options.lock ? await query.for("update") : await query;
  return row ?? null;
}

/** Applies the change and bumps the version, so real-time clients can drop what is older. */
export async function updateSession(
  db: Executor,
  sessionId: string,
  change: Partial<
    Pick<
      SessionRow,
      "title" | "description" | "scheduledAt" | "capacity" | "settings" | "status" | "startedAt" | "endedAt"
    >
  >,
): Promise<SessionRow> {
  const [row] = await db
    .update(sessions)
    .set({ ...change, version: sql`${sessions.version} + 1`, updatedAt: new Date() })
    .where(eq(sessions.id, sessionId))
    .returning();
  return row!;
}

export interface SessionEdit {
  title?: string;
  description?: string | null;
  capacity?: number;
  /** Undefined: unchanged. A date or null also moves a session that is not live to scheduled or draft. */
  scheduledAt?: Date | null;
  /** Merged into the stored settings field by field: `qa` and `media` per key, the rest at the top. */
  settings?: { qa?: Record<string, unknown>; media?: Record<string, unknown>; rest: Record<string, unknown> };
}

/**
 * Deletes a session that is not live (attendees, questions and votes go with it: foreign keys cascade).
 *
 * The delete locks the session's row, then, cascading, each row of its attendees and questions: the reverse of the
 * order in which a presence change or a moderation takes them (the attendee's or the question's row, then the
 * session's, through the seat and revision triggers). Run in a transaction of its own, it waits at most
 * `lockTimeoutMs` for any one lock and then gives way (SQLSTATE 55P03, nothing deleted) instead of deadlocking with
 * them; its caller tries again.
 */
export async function deleteSessionUnlessLive(
  tx: Executor,
  sessionId: string,
  lockTimeoutMs: number,
): Promise<boolean> {
  await tx.execute(sql`select set_config('lock_timeout', ${`${Math.trunc(lockTimeoutMs)}ms`}, true)`);
  const deleted = await tx
    .delete(sessions)
    .where(and(eq(sessions.id, sessionId), sql`${sessions.status} <> 'live'`))
    .returning({ id: sessions.id });
  return deleted.length > 0;
}

/** A workspace's sessions, or those a user owns: what deleting the workspace or the user would cascade to. */
export type SessionScope = { workspaceId: string } | { ownerId: string };

export async function findSessionsIn(
  db: Executor,
  scope: SessionScope,
): Promise<Array<Pick<SessionRow, "id" | "status">>> {
  const where =
    "workspaceId" in scope
      ? eq(sessions.workspaceId, scope.workspaceId)
      : eq(sessions.ownerId, scope.ownerId);
  return db.select({ id: sessions.id, status: sessions.status }).from(sessions).where(where);
}

/** The session a join code currently belongs to (codes are unique among sessions not ended). */
export async function findSessionByJoinCode(db: Executor, joinCode: string) {
  const [row] = await db
    .select()
    .from(sessions)
    .where(and(eq(sessions.joinCode, joinCode), sql`${sessions.status} <> 'ended'`))
    .limit(1);
  return row ?? null;
}

export interface SessionPageQuery {
  userId: string;
  status?: SessionRow["status"][];
  workspaceId?: string;
  createdFrom?: Date;
  createdTo?: Date;
  /** The last item of the previous page: created_at as PostgreSQL prints it (microseconds kept) and id. */
  after?: { createdAt: string; id: string };
  limit: number;
  /** Questions asked per listed session: a subquery over `sessions.id` from the questions module. */
  questionsAsked: (sessionId: SQL) => SQL<number>;
}

/**
 * One page of the sessions a user may see (owner, a member of the session's workspace, or a session role),
 * newest first. Keyset pagination on (created_at, id): stable under concurrent inserts, no offset scan.
 *
 * Each way of seeing a session is its own branch that walks an index in page order and stops after one page
 * (per workspace through a lateral join), so a request reads at most three pages of index entries however
 * many sessions exist; an OR of the three would scan and sort every session instead (measured on 10,000:
 * 2 ms against 0.4 ms). Workspace membership (an auth table) is read in the same statement, as
 * session-access does, to stay one round trip.
 */
export async function listVisibleSessions(db: Executor, query: SessionPageQuery) {
  const { userId } = query;
  const filters: SQL[] = [sql`true`];
  if (query.status?.length) filters.push(inArray(sessions.status, query.status));
  if (query.workspaceId) filters.push(eq(sessions.workspaceId, query.workspaceId));
  if (query.createdFrom) filters.push(gte(sessions.createdAt, query.createdFrom));
  if (query.createdTo) filters.push(lt(sessions.createdAt, query.createdTo));
  if (query.after) {
    filters.push(
      sql`(${sessions.createdAt}, ${sessions.id}) < (${query.after.createdAt}::timestamptz, ${query.after.id}::uuid)`,
    );
  }
  const filtered = sql.join(filters, sql` and `);
  const pageOrder = sql`order by ${sessions.createdAt} desc, ${sessions.id} desc limit ${query.limit + 1}`;
  const visibleIds = sql`
    (select ${sessions.id} from ${sessions} where ${sessions.ownerId} = ${userId}::uuid and ${filtered} ${pageOrder})
    union
    (select page.id from workspace_members member cross join lateral (
       select ${sessions.id} from ${sessions}
       where ${sessions.workspaceId} = member.organization_id and ${filtered} ${pageOrder}) page
     where member.user_id = ${userId}::uuid)
    union
    (select ${sessions.id} from ${sessions}
     where ${sessions.id} in (select session_id from session_members where user_id = ${userId}::uuid)
       and ${filtered} ${pageOrder})`;
  return db
    .select({
      session: sessions,
      cursorAt: sql<string>`${sessions.createdAt}::text`,
      // Qualified by hand: drizzle prints this join-less query's columns without their table.
      questions: query.questionsAsked(sql`"sessions"."id"`),
    })
    .from(sessions)
    .where(sql`${sessions.id} in (${visibleIds})`)
    .orderBy(desc(sessions.createdAt), desc(sessions.id))
    .limit(query.limit + 1);
}

export interface AttendeeCount {
  sessionId: string;
  count: number;
  /** The database clock at the read, in microseconds: a later read of the same session has a larger one. */
  version: number;
}

/** Attendees present now in these sessions (kept on the row by the seat trigger), in one query. */
export async function readAttendeeCounts(db: Executor, sessionIds: string[]): Promise<AttendeeCount[]> {
  if (sessionIds.length === 0) return [];
  const rows = await db
    .select({
      sessionId: sessions.id,
      count: sessions.attendeesPresent,
      version: sql<string>`(extract(epoch from clock_timestamp()) * 1000000)::bigint`,
    })
    .from(sessions)
    .where(inArray(sessions.id, sessionIds));
  return rows.map((row) => ({ ...row, version: Number(row.version) }));
}
