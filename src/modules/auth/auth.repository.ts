import { and, eq, inArray } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { users, workspace_members, workspaces } from "./auth.table.js";

export async function findUser(db: Executor, userId: string) {
  const [user] = await db
    .select({ id: users.id, name: users.name, email: users.email, image: users.image, role: users.role })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  return user ?? null;
}

export function findUsers(db: Executor, userIds: string[]) {
  if (userIds.length === 0) return Promise.resolve([]);
  return db.select({ id: users.id, name: users.name }).from(users).where(inArray(users.id, userIds));
}

export async function listUserWorkspaces(db: Executor, userId: string) {
  const rows = await db
    .select({
      id: workspaces.id,
      name: workspaces.name,
      slug: workspaces.slug,
      role: workspace_members.role,
      metadata: workspaces.metadata,
    })
    .from(workspace_members)
    .innerJoin(workspaces, eq(workspaces.id, workspace_members.organizationId))
    .where(eq(workspace_members.userId, userId))
    .orderBy(workspaces.createdAt, workspaces.id);
  return rows.map(({ metadata, ...workspace }) => ({ ...workspace, personal: isPersonal(metadata) }));
}

export async function findWorkspaceMember(db: Executor, workspaceId: string, userId: string) {
  const [member] = await db
    .select({ role: workspace_members.role })
    .from(workspace_members)
    .where(and(eq(workspace_members.organizationId, workspaceId), eq(workspace_members.userId, userId)))
    .limit(1);
  return member ?? null;
}

function isPersonal(metadata: string | null): boolean {
  if (!metadata) return false;
  try {
    return (JSON.parse(metadata) as { personal?: unknown }).personal === true;
  } catch {
    return false;
  }
}
