import { and, eq, sql } from "drizzle-orm";
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

/** Deletes a session that is not live (attendees, questions and votes go with it: foreign keys cascade). */
export async function deleteSessionUnlessLive(db: Executor, sessionId: string): Promise<boolean> {
  const deleted = await db
    .delete(sessions)
    .where(and(eq(sessions.id, sessionId), sql`${sessions.status} <> 'live'`))
    .returning({ id: sessions.id });
  return deleted.length > 0;
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
