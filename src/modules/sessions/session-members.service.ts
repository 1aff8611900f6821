import type { Database } from "../../db/client.js";
import { AppError } from "../../lib/errors.js";
import { appendSessionEvent } from "../analytics/analytics.service.js";
import type { Accounts } from "../auth/accounts.service.js";
import type { Actor } from "../auth/actor.js";
import type { SessionAccess } from "./session-access.service.js";
import { deleteMember, listMembers, upsertMember, type GrantableRole } from "./session-members.repository.js";

export type { GrantableRole };

export interface SessionMemberView {
  userId: string;
  name: string;
  role: "host" | GrantableRole;
  grantedAt: string | null;
}

/**
 * Session roles: the owner is the host; the host grants co-host and moderator to members of the session's
 * workspace (people the workspace already trusts), and takes them back. Each change is logged in
 * session_events in the same transaction.
 */
export function createSessionMembers(deps: {
  db: Database;
  sessionAccess: SessionAccess;
  accounts: Accounts;
}) {
  const { db, sessionAccess, accounts } = deps;
  return {
    async list(actor: Actor, sessionId: string): Promise<SessionMemberView[]> {
      const session = await sessionAccess.authorize(actor, "session.members.read", sessionId);
      const members = await listMembers(db, sessionId);
      const names = await accounts.displayNames([session.ownerId, ...members.map((m) => m.userId)]);
      const host = names.has(session.ownerId)
        ? [
            {
              userId: session.ownerId,
              name: names.get(session.ownerId)!,
              role: "host" as const,
              grantedAt: null,
            },
          ]
        : [];
      return [
        ...host,
        ...members
          .filter((m) => names.has(m.userId))
          .map((m) => ({
            userId: m.userId,
            name: names.get(m.userId)!,
            role: m.role,
            grantedAt: m.createdAt.toISOString(),
          })),
      ];
    },

    async grant(
      actor: Actor,
      sessionId: string,
      userId: string,
      role: GrantableRole,
    ): Promise<SessionMemberView> {
      const session = await sessionAccess.authorize(actor, "session.members.manage", sessionId);
      if (userId === session.ownerId) {
        throw new AppError("HOST_ROLE_FIXED", 409, "The host owns the session; its role cannot be changed.");
      }
      const [isMember, user] = await Promise.all([
        accounts.isWorkspaceMember(session.workspaceId, userId),
        accounts.findUser(userId),
      ]);
      if (!isMember || !user) {
        throw new AppError(
          "USER_NOT_IN_WORKSPACE",
          422,
          "Roles go to members of the session's workspace only.",
        );
      }
      const grantedBy = actor.kind === "user" || actor.kind === "apiKey" ? actor.userId : null;
      const row = await db.transaction(async (tx) => {
        const saved = await upsertMember(tx, { sessionId, userId, role, grantedBy });
        await appendSessionEvent(tx, { sessionId, type: "member.granted", actor, payload: { userId, role } });
        return saved;
      });
      return { userId, name: user.name, role: row.role, grantedAt: row.createdAt.toISOString() };
    },

    async revoke(actor: Actor, sessionId: string, userId: string): Promise<void> {
      await sessionAccess.authorize(actor, "session.members.manage", sessionId);
      await db.transaction(async (tx) => {
        const role = await deleteMember(tx, sessionId, userId);
        if (role === null) throw new AppError("MEMBER_NOT_FOUND", 404, "This user holds no role here.");
        await appendSessionEvent(tx, { sessionId, type: "member.revoked", actor, payload: { userId, role } });
      });
    },
  };
}

export type SessionMembers = ReturnType<typeof createSessionMembers>;
