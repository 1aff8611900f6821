import type { Database, Executor } from "../../db/client.js";
import { decodeCursor, encodeCursor } from "../../lib/cursor.js";
import { AppError } from "../../lib/errors.js";
import { sqlState } from "../../lib/sql-state.js";
import { ignoreEvents, type Publish, type SessionState } from "../../lib/domain-events.js";
import { appendSessionEvent } from "../analytics/analytics.service.js";
import type { Accounts } from "../auth/accounts.service.js";
import type { Actor } from "../auth/actor.js";
import { assertSession, assertWorkspace, authenticationRequired } from "../auth/policy.js";
import { newJoinCode } from "./join-code.js";
import { editSessionAuthorized } from "./sessions.edit.js";
import type { SessionAccess } from "./session-access.service.js";
import { questionsAskedIn } from "../questions/questions.service.js";
import type {
  CreateSessionInput,
  ListSessionsQuery,
  SessionPage,
  PublicSessionView,
  SessionView,
  UpdateSessionInput,
} from "./sessions.schemas.js";
import {
  deleteSessionUnlessLive,
  findSession,
  findSessionsIn,
  findSessionByJoinCode,
  type SessionScope,
  insertSession,
  listVisibleSessions,
  readAttendeeCounts,
  type AttendeeCount,
  updateSession,
  type SessionRow,
} from "./sessions.repository.js";
import { parseStoredSettings, sessionSettingsSchema } from "./sessions.settings.js";

const JOIN_CODE_ATTEMPTS = 5;
const UNIQUE_VIOLATION = "23505";
/** `lock_timeout` expired: the statement gave way. */
const LOCK_NOT_AVAILABLE = "55P03";
const DEADLOCK_DETECTED = "40P01";
/** How long a delete waits for any one row lock before it gives way, and how often it tries. */
const DELETE_LOCK_TIMEOUT_MS = 200;
const DELETE_ATTEMPTS = 5;

const liveSessionInTheWay = () =>
  new AppError("SESSION_LIVE", 409, "A live session would be deleted with it; end the session first.");

/**
 * Presenter sessions: create in a workspace, read, change, delete, and the lifecycle draft or scheduled →
 * live → ended (ended is final). Start and end are safe to retry. Every change is appended to the session's
 * event log in its own transaction.
 */
export function createSessions(deps: {
  db: Database;
  sessionAccess: SessionAccess;
  accounts: Accounts;
  publish?: Publish;
}) {
  const { db, sessionAccess, accounts, publish = ignoreEvents } = deps;

  /**
   * Deletes the session unless it is live, giving way to the presence changes and moderations that lock its rows in
   * the other order (see deleteSessionUnlessLive): each attempt waits at most DELETE_LOCK_TIMEOUT_MS for a lock,
   * then the next starts after a short pause. Those transactions last milliseconds, so one that still blocks every
   * attempt means a session too busy to delete now: 409, try again.
   */
  async function deleteGivingWay(sessionId: string): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await db.transaction((tx) => deleteSessionUnlessLive(tx, sessionId, DELETE_LOCK_TIMEOUT_MS));
      } catch (error) {
        // A deadlock is caught too, should the server's deadlock_timeout be shorter than the delete's wait.
        const state = sqlState(error);
        if (state !== LOCK_NOT_AVAILABLE && state !== DEADLOCK_DETECTED) throw error;
        if (attempt >= DELETE_ATTEMPTS) {
          throw new AppError("SESSION_BUSY", 409, "The session is busy; try deleting it again in a moment.", {
            headers: { "retry-after": "1" },
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 20));
      }
    }
  }

  /** A workspace's or a user's sessions, unless one of them is live (SESSION_LIVE: nothing is deleted then). */
  async function removableSessionsIn(scope: SessionScope) {
    const found = await findSessionsIn(db, scope);
    if (found.some((session) => session.status === "live")) throw liveSessionInTheWay();
    return found;
  }

  async function lockedForChange(tx: Executor, sessionId: string): Promise<SessionRow> {
    const row = await findSession(tx, sessionId, { lock: true });
    if (!row) throw new AppError("SESSION_NOT_FOUND", 404, "Session not found.");
    return row;
  }

  return {
    async create(actor: Actor, input: CreateSessionInput): Promise<SessionView> {
      if (actor.kind === "anonymous") throw authenticationRequired();
      if (actor.kind === "attendee")
        throw new AppError("FORBIDDEN", 403, "Attendees cannot create sessions.");
      const workspaceId = input.workspaceId ?? (await accounts.personalWorkspaceId(actor.userId));
      if (!workspaceId)
        throw new AppError("WORKSPACE_NOT_FOUND", 404, "No workspace to create the session in.");
      const workspaceRole = await accounts.workspaceRole(workspaceId, actor.userId);
      assertWorkspace(actor, "workspace.sessions.create", { workspaceId, workspaceRole });
      const row = await db.transaction(async (tx) => {
        const created = await insertWithFreshCode(tx, {
          workspaceId,
          ownerId: actor.userId,
          title: input.title,
          description: input.description ?? null,
          capacity: input.capacity,
          settings: sessionSettingsSchema.parse(input.settings ?? {}),
          scheduledAt: input.scheduledAt ? new Date(input.scheduledAt) : null,
        });
        await appendSessionEvent(tx, { sessionId: created.id, type: "session.created", actor });
        return created;
      });
      return view(row);
    },

    /** What anyone holding the code may see before joining; drafts are not public yet. */
    async publicFace(joinCode: string): Promise<PublicSessionView> {
      const row = await findSessionByJoinCode(db, joinCode);
      if (!row || row.status === "draft") {
        throw new AppError("JOIN_CODE_NOT_FOUND", 404, "No session is open with this code.");
      }
      const presenter = await accounts.findUser(row.ownerId);
      const settings = parseStoredSettings(row.settings);
      return {
        sessionId: row.id,
        title: row.title,
        status: row.status as "scheduled" | "live",
        presenterName: presenter?.name ?? null,
        qaOpen: settings.qa.enabled,
        scheduledAt: row.scheduledAt?.toISOString() ?? null,
      };
    },

    /** The sessions the caller may see, newest first, a page at a time, each with its live summary. */
    async list(actor: Actor, query: ListSessionsQuery): Promise<SessionPage> {
      if (actor.kind === "anonymous") throw authenticationRequired();
      if (actor.kind === "attendee") throw new AppError("FORBIDDEN", 403, "Attendees cannot list sessions.");
      if (actor.kind === "apiKey" && !actor.scopes.includes("sessions:read")) {
        throw new AppError("INSUFFICIENT_SCOPE", 403, "This API key lacks the scope for session.read.");
      }
      const rows = await listVisibleSessions(db, {
        userId: actor.userId,
        status: query.status,
        workspaceId: query.workspaceId,
        createdFrom: query.createdFrom ? new Date(query.createdFrom) : undefined,
        createdTo: query.createdTo ? new Date(query.createdTo) : undefined,
        after: query.cursor ? toSessionCursor(decodeCursor(query.cursor)) : undefined,
        limit: query.limit,
        questionsAsked: questionsAskedIn,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map(({ session, questions }) => ({
          ...view(session),
          summary: {
            attendeesNow: session.attendeesPresent,
            peakAttendees: session.attendeesPeak,
            questions,
          },
        })),
        nextCursor: rows.length > query.limit && last ? encodeCursor(last.cursorAt, last.session.id) : null,
      };
    },

    /**
     * What a real-time client is sent on connecting: the session and its attendee count. The caller (the
     * socket handshake) has authorized the actor with `session.read`.
     */
    async snapshot(sessionId: string): Promise<{ session: SessionState; attendees: AttendeeCount } | null> {
      const row = await findSession(db, sessionId);
      if (!row) return null;
      const counts = await readAttendeeCounts(db, [sessionId]);
      return { session: sessionState(row), attendees: counts[0]! };
    },

    /** Attendee counts of these sessions as committed now, versioned by the database clock. */
    attendeeCounts: (sessionIds: string[]) => readAttendeeCounts(db, sessionIds),

    async get(actor: Actor, sessionId: string): Promise<SessionView> {
      await sessionAccess.authorize(actor, "session.read", sessionId);
      const row = await findSession(db, sessionId);
      if (!row) throw new AppError("SESSION_NOT_FOUND", 404, "Session not found.");
      return view(row);
    },

    async update(actor: Actor, sessionId: string, patch: UpdateSessionInput): Promise<SessionView> {
      // Attendees and anonymous callers are refused by the policy (404 or 403, as authorize says).
      if (actor.kind !== "user" && actor.kind !== "apiKey") {
        await sessionAccess.authorize(actor, "session.update", sessionId);
        throw new AppError("FORBIDDEN", 403, "You may not do this (session.update).");
      }
      const { qa, media, ...rest } = patch.settings ?? {};
      // Authorization, the change and its event are one statement: PATCH is a route hosts use live.
      const { relations, row } = await editSessionAuthorized(db, {
        sessionId,
        actor,
        fields: Object.keys(patch),
        edit: {
          title: patch.title,
          description: patch.description,
          capacity: patch.capacity,
          scheduledAt:
            patch.scheduledAt === undefined
              ? undefined
              : patch.scheduledAt === null
                ? null
                : new Date(patch.scheduledAt),
          settings: patch.settings ? { qa, media, rest } : undefined,
        },
      });
      if (!relations) throw new AppError("SESSION_NOT_FOUND", 404, "Session not found.");
      // The statement changed the row only if the policy grants the edit: a refusal is the policy's own.
      assertSession(actor, "session.update", relations);
      // Allowed but unchanged: the session has ended.
      if (!row) throw sessionEnded();
      const changed = view(row);
      publish({ type: "session.changed", session: stateOf(changed) });
      return changed;
    },

    async remove(actor: Actor, sessionId: string): Promise<void> {
      await sessionAccess.authorize(actor, "session.delete", sessionId);
      if (await deleteGivingWay(sessionId)) {
        publish({ type: "session.deleted", sessionId });
        return;
      }
      const existing = await findSession(db, sessionId);
      if (!existing) throw new AppError("SESSION_NOT_FOUND", 404, "Session not found.");
      throw new AppError("SESSION_LIVE", 409, "A live session cannot be deleted; end it first.");
    },

    /**
     * Before a workspace or a user is deleted: deletes its sessions one by one as `remove` does (giving way to
     * presence changes, and telling their clients), so that the cascade finds none to lock in the order that
     * deadlocks, and no client is left in a session that no longer exists. Refuses, deleting nothing, while one of
     * them is live (SESSION_LIVE: end it first), as `remove` refuses a live session.
     */
    async removeAllIn(scope: SessionScope): Promise<void> {
      const found = await removableSessionsIn(scope);
      for (const { id } of found) {
        if (await deleteGivingWay(id)) publish({ type: "session.deleted", sessionId: id });
        // Not deleted: gone meanwhile, or started meanwhile.
        else if (await findSession(db, id)) throw liveSessionInTheWay();
      }
    },

    /** Refuses as `removeAllIn` would (SESSION_LIVE), deleting nothing: asked before anything else is removed. */
    async assertRemovable(scope: SessionScope): Promise<void> {
      await removableSessionsIn(scope);
    },

    async start(actor: Actor, sessionId: string): Promise<SessionView> {
      await sessionAccess.authorize(actor, "session.control", sessionId);
      const row = await db.transaction(async (tx) => {
        const current = await lockedForChange(tx, sessionId);
        if (current.status === "live") return current;
        if (current.status === "ended") throw sessionEnded();
        const started = await updateSession(tx, sessionId, { status: "live", startedAt: new Date() });
        await appendSessionEvent(tx, {
          sessionId,
          type: "session.started",
          actor,
          payload: { version: started.version },
        });
        return started;
      });
      // Also on a retry: telling clients the state they already have again is harmless.
      publish({ type: "session.changed", session: sessionState(row) });
      return view(row);
    },

    async end(actor: Actor, sessionId: string): Promise<SessionView> {
      await sessionAccess.authorize(actor, "session.control", sessionId);
      const row = await db.transaction(async (tx) => {
        const current = await lockedForChange(tx, sessionId);
        if (current.status === "ended") return current;
        if (current.status !== "live") {
          throw new AppError("SESSION_NOT_LIVE", 409, "Only a live session can be ended; start it first.");
        }
        const ended = await updateSession(tx, sessionId, { status: "ended", endedAt: new Date() });
        await appendSessionEvent(tx, {
          sessionId,
          type: "session.ended",
          actor,
          payload: { version: ended.version },
        });
        return ended;
      });
      publish({ type: "session.ended", session: sessionState(row) });
      return view(row);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;

/** Inserts under a savepoint, retrying with a new code when the code is taken by a session not ended. */
async function insertWithFreshCode(
  tx: Executor,
  values: Omit<Parameters<typeof insertSession>[1], "joinCode">,
): Promise<SessionRow> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await tx.transaction((savepoint) =>
        insertSession(savepoint, { ...values, joinCode: newJoinCode() }),
      );
    } catch (error) {
      if (sqlState(error) !== UNIQUE_VIOLATION || attempt >= JOIN_CODE_ATTEMPTS) throw error;
    }
  }
}

const toSessionCursor = ({ at, id }: { at: string; id: string }) => ({ createdAt: at, id });

const sessionEnded = () =>
  new AppError("SESSION_ENDED", 409, "The session has ended; an ended session is final.");

/** What every client of the session may see: the view without its owner, workspace, code and capacity. */
function sessionState(row: SessionRow): SessionState {
  return stateOf(view(row));
}

function stateOf(sessionView: SessionView): SessionState {
  const {
    workspaceId: _workspace,
    ownerId: _owner,
    joinCode: _code,
    capacity: _capacity,
    createdAt: _created,
    updatedAt: _updated,
    ...state
  } = sessionView;
  return state;
}

function view(row: SessionRow): SessionView {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    ownerId: row.ownerId,
    title: row.title,
    description: row.description,
    status: row.status,
    joinCode: row.joinCode,
    capacity: row.capacity,
    settings: parseStoredSettings(row.settings),
    scheduledAt: row.scheduledAt?.toISOString() ?? null,
    startedAt: row.startedAt?.toISOString() ?? null,
    endedAt: row.endedAt?.toISOString() ?? null,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The session row as committed (no lock), for the attendees module's join; no authorization (joining is public). */
export function sessionRow(db: Executor, sessionId: string): Promise<SessionRow | null> {
  return findSession(db, sessionId);
}
