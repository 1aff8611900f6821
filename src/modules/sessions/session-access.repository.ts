import type { Database } from "../../db/client.js";
import type { SessionRole, WorkspaceRole } from "../auth/policy.js";

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
  db: Database,
  sessionId: string,
  userId: string | null,
): Promise<SessionRelationRow | null> {
  // A named (prepared) statement: it runs before nearly every action on a session, so it is parsed and planned
  // once per connection.
  const { rows } = await db.$client.query<{
    session_id: string;
    workspace_id: string;
    owner_id: string;
    member_role: SessionRole | null;
    workspace_role: string | null;
  }>({ name: "sessions.relations", text: SESSION_RELATIONS, values: [sessionId, userId] });
  const found = rows[0];
  const row = found && {
    sessionId: found.session_id,
    workspaceId: found.workspace_id,
    ownerId: found.owner_id,
    memberRole: found.member_role,
    workspaceRole: found.workspace_role,
  };
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

/** $1 session, $2 user (null: an attendee's view, no roles). */
const SESSION_RELATIONS = `
  select s.id as session_id, s.workspace_id, s.owner_id, m.role as member_role, w.role as workspace_role
  from sessions s
  left join session_members m on m.session_id = s.id and m.user_id = $2::uuid
  left join workspace_members w on w.organization_id = s.workspace_id and w.user_id = $2::uuid
  where s.id = $1::uuid
  limit 1`;
