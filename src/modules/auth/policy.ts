import { AppError } from "../../lib/errors.js";
import type { Actor, ApiKeyScope } from "./actor.js";

/**
 * The one answer to "may this actor do this action on this object", for HTTP routes and socket handlers alike.
 * Pure: the caller loads the actor's relations to the object (its session role, its workspace role) and this
 * module decides. The matrix below is documented in docs/API.md ("Access control"); change both together.
 *
 * Refusals follow one rule: an actor who may not even see the object gets 404 (its existence is not
 * disclosed); one who may see it but not do this gets 403; no credential at all gets 401.
 */

export type SessionRole = "host" | "co_host" | "moderator";
export type WorkspaceRole = "owner" | "admin" | "member";

export const SESSION_ACTIONS = [
  "session.read",
  "session.update",
  "session.control",
  "session.delete",
  "session.members.read",
  "session.members.manage",
  "attendees.read",
  "attendees.moderate",
  "questions.read",
  "questions.moderate",
  "questions.ask",
  "questions.vote",
  "analytics.read",
] as const;
export type SessionAction = (typeof SESSION_ACTIONS)[number];

export const WORKSPACE_ACTIONS = ["workspace.read", "workspace.sessions.create", "workspace.manage"] as const;
export type WorkspaceAction = (typeof WORKSPACE_ACTIONS)[number];

interface Rule<S> {
  /** Session roles (or, for workspace actions, nothing) that grant the action. */
  sessionRoles: readonly S[];
  workspaceRoles: readonly WorkspaceRole[];
  /** The scope an API key needs on top of its owner being allowed; absent: keys may not do this. */
  scope?: ApiKeyScope;
  /** Whether an attendee of this very session may. */
  attendee: boolean;
  /** Whether the platform admin may (support and abuse handling); never for an attendee's own acts. */
  platformAdmin: boolean;
}

const STAFF: readonly SessionRole[] = ["host", "co_host", "moderator"];
const RUNNERS: readonly SessionRole[] = ["host", "co_host"];
const WS_ALL: readonly WorkspaceRole[] = ["owner", "admin", "member"];
const WS_ADMINS: readonly WorkspaceRole[] = ["owner", "admin"];

export const SESSION_POLICY: Readonly<Record<SessionAction, Rule<SessionRole>>> = {
  "session.read": {
    sessionRoles: STAFF,
    workspaceRoles: WS_ALL,
    scope: "sessions:read",
    attendee: true,
    platformAdmin: true,
  },
  "session.update": {
    sessionRoles: RUNNERS,
    workspaceRoles: WS_ADMINS,
    scope: "sessions:write",
    attendee: false,
    platformAdmin: true,
  },
  "session.control": {
    sessionRoles: RUNNERS,
    workspaceRoles: WS_ADMINS,
    scope: "sessions:write",
    attendee: false,
    platformAdmin: true,
  },
  "session.delete": {
    sessionRoles: ["host"],
    workspaceRoles: WS_ADMINS,
    scope: "sessions:write",
    attendee: false,
    platformAdmin: true,
  },
  "session.members.read": {
    sessionRoles: STAFF,
    workspaceRoles: WS_ADMINS,
    scope: "sessions:read",
    attendee: false,
    platformAdmin: true,
  },
  "session.members.manage": {
    sessionRoles: ["host"],
    workspaceRoles: [],
    attendee: false,
    platformAdmin: false,
  },
  "attendees.read": {
    sessionRoles: STAFF,
    workspaceRoles: WS_ADMINS,
    scope: "attendees:read",
    attendee: false,
    platformAdmin: true,
  },
  "attendees.moderate": {
    sessionRoles: STAFF,
    workspaceRoles: WS_ADMINS,
    scope: "attendees:moderate",
    attendee: false,
    platformAdmin: true,
  },
  "questions.read": {
    sessionRoles: STAFF,
    workspaceRoles: WS_ALL,
    scope: "questions:read",
    attendee: true,
    platformAdmin: true,
  },
  "questions.moderate": {
    sessionRoles: STAFF,
    workspaceRoles: WS_ADMINS,
    scope: "questions:moderate",
    attendee: false,
    platformAdmin: true,
  },
  "questions.ask": { sessionRoles: [], workspaceRoles: [], attendee: true, platformAdmin: false },
  "questions.vote": { sessionRoles: [], workspaceRoles: [], attendee: true, platformAdmin: false },
  "analytics.read": {
    sessionRoles: RUNNERS,
    workspaceRoles: WS_ADMINS,
    scope: "analytics:read",
    attendee: false,
    platformAdmin: true,
  },
};

export const WORKSPACE_POLICY: Readonly<Record<WorkspaceAction, Rule<never>>> = {
  "workspace.read": {
    sessionRoles: [],
    workspaceRoles: WS_ALL,
    scope: "sessions:read",
    attendee: false,
    platformAdmin: true,
  },
  "workspace.sessions.create": {
    sessionRoles: [],
    workspaceRoles: WS_ALL,
    scope: "sessions:write",
    attendee: false,
    platformAdmin: false,
  },
  "workspace.manage": { sessionRoles: [], workspaceRoles: WS_ADMINS, attendee: false, platformAdmin: true },
};

/** The actor's relations to one session, loaded by the sessions module. */
export interface SessionRelations {
  sessionId: string;
  workspaceId: string;
  /** The role of the actor (or of an API key's owner) in the session: host when it owns the session. */
  sessionRole: SessionRole | null;
  workspaceRole: WorkspaceRole | null;
}

export interface WorkspaceRelations {
  workspaceId: string;
  workspaceRole: WorkspaceRole | null;
}

export type Decision = { allowed: true } | { allowed: false; error: AppError };

const ALLOWED: Decision = Object.freeze({ allowed: true });

export function decideSession(actor: Actor, action: SessionAction, target: SessionRelations): Decision {
  return decide(actor, SESSION_POLICY, action, target, "SESSION_NOT_FOUND", "Session");
}

export function decideWorkspace(actor: Actor, action: WorkspaceAction, target: WorkspaceRelations): Decision {
  return decide(
    actor,
    WORKSPACE_POLICY,
    action,
    { ...target, sessionId: null, sessionRole: null },
    "WORKSPACE_NOT_FOUND",
    "Workspace",
  );
}

/** decideSession, throwing the refusal: what routes and socket handlers call. */
export function assertSession(actor: Actor, action: SessionAction, target: SessionRelations): void {
  const decision = decideSession(actor, action, target);
  if (!decision.allowed) throw decision.error;
}

export function assertWorkspace(actor: Actor, action: WorkspaceAction, target: WorkspaceRelations): void {
  const decision = decideWorkspace(actor, action, target);
  if (!decision.allowed) throw decision.error;
}

/** The error for an anonymous caller on a route that needs some credential. */
export function authenticationRequired(): AppError {
  return new AppError("AUTHENTICATION_REQUIRED", 401, "Sign in, or send a bearer token or an API key.", {
    headers: { "www-authenticate": 'Bearer realm="podium"' },
  });
}

function decide<A extends string, S extends string>(
  actor: Actor,
  policy: Readonly<Record<A, Rule<S>>>,
  action: A,
  target: {
    sessionId: string | null;
    workspaceId: string;
    sessionRole: S | null;
    workspaceRole: WorkspaceRole | null;
  },
  notFoundCode: string,
  noun: string,
): Decision {
  if (actor.kind === "anonymous") return { allowed: false, error: authenticationRequired() };
  const rule = policy[action];
  const readRule = (policy as Record<string, Rule<S>>)[
    noun === "Session" ? "session.read" : "workspace.read"
  ]!;
  const notFound = () => ({
    allowed: false as const,
    error: new AppError(notFoundCode, 404, `${noun} not found.`),
  });
  const forbidden = () => ({
    allowed: false as const,
    error: new AppError("FORBIDDEN", 403, `You may not do this (${action}).`),
  });

  if (actor.kind === "attendee") {
    // An attendee exists only inside its own session: everything else is invisible to it.
    if (target.sessionId === null || actor.sessionId !== target.sessionId) return notFound();
    return rule.attendee ? ALLOWED : forbidden();
  }

  const grants = (r: Rule<S>) =>
    (target.sessionRole !== null && r.sessionRoles.includes(target.sessionRole)) ||
    (target.workspaceRole !== null && r.workspaceRoles.includes(target.workspaceRole)) ||
    (actor.kind === "user" && actor.role === "admin" && r.platformAdmin);

  if (!grants(readRule)) return notFound();
  if (!grants(rule)) return forbidden();
  if (actor.kind === "apiKey" && (!rule.scope || !actor.scopes.includes(rule.scope))) {
    return {
      allowed: false,
      error: new AppError("INSUFFICIENT_SCOPE", 403, `This API key lacks the scope for ${action}.`),
    };
  }
  return ALLOWED;
}
