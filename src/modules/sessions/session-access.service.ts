import type { Database } from "../../db/client.js";
import { AppError } from "../../lib/errors.js";
import type { Actor } from "../auth/actor.js";
import {
  assertSession,
  authenticationRequired,
  type SessionAction,
  type SessionRelations,
} from "../auth/policy.js";
import { findSessionRelations } from "./session-access.repository.js";

export interface SessionAccess {
  /**
   * Loads the actor's relations to the session and asks the policy; resolves to them when allowed, rejects
   * with 401/403/404 otherwise. What every route and socket handler on a session calls first.
   */
  authorize(
    actor: Actor,
    action: SessionAction,
    sessionId: string,
  ): Promise<SessionRelations & { ownerId: string }>;
}

export function createSessionAccess({ db }: { db: Database }): SessionAccess {
  return {
    async authorize(actor, action, sessionId) {
      if (actor.kind === "anonymous") throw authenticationRequired();
      const userId = actor.kind === "user" || actor.kind === "apiKey" ? actor.userId : null;
      const relations = await findSessionRelations(db, sessionId, userId);
      if (!relations) throw new AppError("SESSION_NOT_FOUND", 404, "Session not found.");
      assertSession(actor, action, relations);
      return relations;
    },
  };
}
