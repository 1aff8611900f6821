import type { Database } from "../../db/client.js";
import type { WorkspaceRole } from "./policy.js";
import { findUser, findUsers, findWorkspaceMember, listUserWorkspaces } from "./auth.repository.js";

/**
 * What other modules may know about people and workspaces: names for display, a user's workspaces, whether
 * someone belongs to a workspace. The auth module's tables stay its own.
 */
export function createAccounts({ db }: { db: Database }) {
  return {
    findUser: (userId: string) => findUser(db, userId),
    /** id → display name, for the users that exist. */
    async displayNames(userIds: string[]): Promise<Map<string, string>> {
      const rows = await findUsers(db, [...new Set(userIds)]);
      return new Map(rows.map((row) => [row.id, row.name]));
    },
    listWorkspaces: (userId: string) => listUserWorkspaces(db, userId),
    /**
     * The user's own personal workspace: where a session goes when none is named. Not just any personal
     * workspace the user belongs to: someone invited into another's personal workspace must not create there.
     */
    async personalWorkspaceId(userId: string): Promise<string | null> {
      const own = (await listUserWorkspaces(db, userId)).find((w) => w.personal && w.role === "owner");
      return own?.id ?? null;
    },
    async isWorkspaceMember(workspaceId: string, userId: string): Promise<boolean> {
      return (await findWorkspaceMember(db, workspaceId, userId)) !== null;
    },
    async workspaceRole(workspaceId: string, userId: string): Promise<WorkspaceRole | null> {
      const role = (await findWorkspaceMember(db, workspaceId, userId))?.role;
      return role === "owner" || role === "admin" || role === "member" ? role : null;
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
