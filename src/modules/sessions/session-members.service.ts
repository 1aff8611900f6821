import { and, asc, eq } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import { AppError } from "../../lib/errors.js";
import type { Actor } from "../auth/actor.js";
import { findUser, findWorkspaceMember } from "../auth/auth.repository.js";
import { users } from "../auth/auth.table.js";
import { sessionEvents } from "../analytics/analytics.table.js";
import type { SessionAccess } from "./session-access.service.js";
import { sessionMembers } from "./sessions.table.js";

export type GrantableRole = "co_host" | "moderator";

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
export function createSessionMembers({ db, sessionAccess }: { db: Database; sessionAccess: SessionAccess }) {
  return {
    async list(actor: Actor, sessionId: string): Promise<SessionMemberView[]> {
      const session = await sessionAccess.authorize(actor, "session.members.read", sessionId);
      const [owner, members] = await Promise.all([
        findUser(db, session.ownerId),
        db
          .select({
            userId: sessionMembers.userId,
            name: users.name,
            role: sessionMembers.role,
            createdAt: sessionMembers.createdAt,
          })
          .from(sessionMembers)
          .innerJoin(users, eq(users.id, sessionMembers.userId))
          .where(eq(sessionMembers.sessionId, sessionId))
          .orderBy(asc(sessionMembers.createdAt), asc(sessionMembers.userId)),
      ]);
      return [
        ...(owner ? [{ userId: owner.id, name: owner.name, role: "host" as const, grantedAt: null }] : []),
        ...members.map((m) => ({
          userId: m.userId,
          name: m.name,
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
      const [member, user] = await Promise.all([
        findWorkspaceMember(db, session.workspaceId, userId),
        findUser(db, userId),
      ]);
      if (!member || !user) {
        throw new AppError(
          "USER_NOT_IN_WORKSPACE",
          422,
          "Roles go to members of the session's workspace only.",
        );
      }
      const grantedBy = actingUserId(actor);
      const row = await db.transaction(async (tx) => {
        const [saved] = await tx
          .insert(sessionMembers)
          .values({ sessionId, userId, role, grantedBy })
          .onConflictDoUpdate({
            target: [sessionMembers.sessionId, sessionMembers.userId],
            set: { role, grantedBy },
          })
          .returning();
        await tx.insert(sessionEvents).values({
          sessionId,
          type: "member.granted",
          actorType: "user",
          actorId: grantedBy,
          payload: { userId, role },
        });
        return saved!;
      });
      return { userId, name: user.name, role: row.role, grantedAt: row.createdAt.toISOString() };
    },

    async revoke(actor: Actor, sessionId: string, userId: string): Promise<void> {
      await sessionAccess.authorize(actor, "session.members.manage", sessionId);
      await db.transaction(async (tx) => {
        const removed = await tx
          .delete(sessionMembers)
          .where(and(eq(sessionMembers.sessionId, sessionId), eq(sessionMembers.userId, userId)))
          .returning({ role: sessionMembers.role });
        if (removed.length === 0)
          throw new AppError("MEMBER_NOT_FOUND", 404, "This user holds no role here.");
        await tx.insert(sessionEvents).values({
          sessionId,
          type: "member.revoked",
          actorType: "user",
          actorId: actingUserId(actor),
          payload: { userId, role: removed[0]!.role },
        });
      });
    },
  };
}

export type SessionMembers = ReturnType<typeof createSessionMembers>;

function actingUserId(actor: Actor): string | null {
  return actor.kind === "user" || actor.kind === "apiKey" ? actor.userId : null;
}
