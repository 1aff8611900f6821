import { and, eq, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { workspace_members } from "../auth/auth.table.js";
import type { SessionRole, WorkspaceRole } from "../auth/policy.js";
import { sessionMembers, sessions } from "./sessions.table.js";

export interface SessionRelationRow {
  sessionId: string;
  workspaceId: string;
  ownerId: string;
  sessionRole: SessionRole | null;
  workspaceRole: WorkspaceRole | null;
}

/**
 * One query: the session and the user's roles in it and in its workspace (null user: an attendee's view).
 * The one place sessions read a table of the auth module (workspace membership), on purpose: this runs before
 * every action on a session, and a second round trip through the auth module's service would double its cost.
 */
export async function findSessionRelations(
  db: Executor,
  sessionId: string,
  userId: string | null,
): Promise<SessionRelationRow | null> {
  const [row] = await db
    .select({
      sessionId: sessions.id,
      workspaceId: sessions.workspaceId,
      ownerId: sessions.ownerId,
      memberRole: sessionMembers.role,
      workspaceRole: workspace_members.role,
    })
    .from(sessions)
    .leftJoin(
      sessionMembers,
      and(eq(sessionMembers.sessionId, sessions.id), eq(sessionMembers.userId, sql`${userId}::uuid`)),
    )
    .leftJoin(
      workspace_members,
      and(
        eq(workspace_members.organizationId, sessions.workspaceId),
        eq(workspace_members.userId, sql`${userId}::uuid`),
      ),
    )
    .where(eq(sessions.id, sessionId))
    .limit(1);
  if (!row) return null;
  return {
    sessionId: row.sessionId,
    workspaceId: row.workspaceId,
    ownerId: row.ownerId,
    sessionRole: userId !== null && row.ownerId === userId ? "host" : (row.memberRole ?? null),
    workspaceRole: isWorkspaceRole(row.workspaceRole) ? row.workspaceRole : null,
  };
}

function isWorkspaceRole(value: string | null): value is WorkspaceRole {
  return value === "owner" || value === "admin" || value === "member";
}
