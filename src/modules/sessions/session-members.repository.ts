import { and, asc, eq } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { sessionMembers } from "./sessions.table.js";

export type GrantableRole = "co_host" | "moderator";

export function listMembers(db: Executor, sessionId: string) {
  return db
    .select({ userId: sessionMembers.userId, role: sessionMembers.role, createdAt: sessionMembers.createdAt })
    .from(sessionMembers)
    .where(eq(sessionMembers.sessionId, sessionId))
    .orderBy(asc(sessionMembers.createdAt), asc(sessionMembers.userId));
}

export async function upsertMember(
  db: Executor,
  member: { sessionId: string; userId: string; role: GrantableRole; grantedBy: string | null },
) {
  const [saved] = await db
    .insert(sessionMembers)
    .values(member)
    .onConflictDoUpdate({
      target: [sessionMembers.sessionId, sessionMembers.userId],
      set: { role: member.role, grantedBy: member.grantedBy },
    })
    .returning();
  return saved!;
}

/** The removed member's role, or null when the user held none. */
export async function deleteMember(
  db: Executor,
  sessionId: string,
  userId: string,
): Promise<GrantableRole | null> {
  const [removed] = await db
    .delete(sessionMembers)
    .where(and(eq(sessionMembers.sessionId, sessionId), eq(sessionMembers.userId, userId)))
    .returning({ role: sessionMembers.role });
  return removed?.role ?? null;
}
