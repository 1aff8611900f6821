import { describe, expect, it } from "vitest";
import type { Actor } from "./actor.js";
import { API_KEY_SCOPES } from "./actor.js";
import {
  decideSession,
  decideWorkspace,
  SESSION_ACTIONS,
  SESSION_POLICY,
  WORKSPACE_ACTIONS,
  type SessionRelations,
} from "./policy.js";

const SESSION = "00000000-0000-4000-8000-000000000001";
const OTHER_SESSION = "00000000-0000-4000-8000-000000000002";
const WORKSPACE = "00000000-0000-4000-8000-000000000003";
const user = (role: "admin" | "presenter" = "presenter"): Actor => ({
  kind: "user",
  userId: "u",
  role,
  authSessionId: "s",
  via: "bearer",
});
const relations = (r: Partial<SessionRelations> = {}): SessionRelations => ({
  sessionId: SESSION,
  workspaceId: WORKSPACE,
  sessionRole: null,
  workspaceRole: null,
  ...r,
});
const status = (d: ReturnType<typeof decideSession>) => (d.allowed ? 200 : d.error.status);

describe("policy", () => {
  it.each(SESSION_ACTIONS)("%s: anonymous 401, a stranger 404, another session's attendee 404", (action) => {
    expect(status(decideSession({ kind: "anonymous" }, action, relations()))).toBe(401);
    expect(status(decideSession(user(), action, relations()))).toBe(404);
    const outsider: Actor = { kind: "attendee", attendeeId: "a", sessionId: OTHER_SESSION, tokenId: "t" };
    expect(status(decideSession(outsider, action, relations()))).toBe(404);
  });

  it.each(SESSION_ACTIONS)("%s: an attendee of the session may exactly what the matrix says", (action) => {
    const attendee: Actor = { kind: "attendee", attendeeId: "a", sessionId: SESSION, tokenId: "t" };
    expect(status(decideSession(attendee, action, relations()))).toBe(
      SESSION_POLICY[action].attendee ? 200 : 403,
    );
  });

  it.each(SESSION_ACTIONS)("%s: the host may, unless only attendees may", (action) => {
    const expected = SESSION_POLICY[action].sessionRoles.includes("host") ? 200 : 403;
    expect(status(decideSession(user(), action, relations({ sessionRole: "host" })))).toBe(expected);
  });

  it.each(SESSION_ACTIONS)("%s: an API key needs its owner's right and the action's scope", (action) => {
    const rule = SESSION_POLICY[action];
    const key = (scopes: (typeof API_KEY_SCOPES)[number][]): Actor => ({
      kind: "apiKey",
      userId: "u",
      keyId: "k",
      scopes,
    });
    const host = relations({ sessionRole: "host" });
    expect(status(decideSession(key([...API_KEY_SCOPES]), action, host))).toBe(
      rule.scope && rule.sessionRoles.includes("host") ? 200 : 403,
    );
    expect(status(decideSession(key([]), action, host))).toBe(403);
    // A key never lends its owner's platform-admin rights.
    expect(status(decideSession(key([...API_KEY_SCOPES]), action, relations()))).toBe(404);
  });

  it("gives the platform admin support rights but never an attendee's voice or the host's grants", () => {
    const admin = user("admin");
    expect(decideSession(admin, "attendees.moderate", relations()).allowed).toBe(true);
    expect(status(decideSession(admin, "questions.ask", relations()))).toBe(403);
    expect(status(decideSession(admin, "session.members.manage", relations()))).toBe(403);
  });

  it("lets workspace members see their workspace's sessions but only admins run them", () => {
    const member = relations({ workspaceRole: "member" });
    expect(decideSession(user(), "session.read", member).allowed).toBe(true);
    expect(status(decideSession(user(), "session.update", member))).toBe(403);
    expect(decideSession(user(), "session.update", relations({ workspaceRole: "admin" })).allowed).toBe(true);
  });

  it("moderators moderate but do not run the session", () => {
    const moderator = relations({ sessionRole: "moderator" });
    expect(decideSession(user(), "questions.moderate", moderator).allowed).toBe(true);
    expect(status(decideSession(user(), "session.control", moderator))).toBe(403);
    expect(status(decideSession(user(), "analytics.read", moderator))).toBe(403);
  });

  it.each(WORKSPACE_ACTIONS)("%s: non-members get 404, anonymous 401", (action) => {
    expect(status(decideWorkspace(user(), action, { workspaceId: WORKSPACE, workspaceRole: null }))).toBe(
      404,
    );
    expect(
      status(decideWorkspace({ kind: "anonymous" }, action, { workspaceId: WORKSPACE, workspaceRole: null })),
    ).toBe(401);
  });

  it("any workspace member may create sessions in it; only owners and admins manage it", () => {
    const as = (role: "owner" | "admin" | "member") => ({ workspaceId: WORKSPACE, workspaceRole: role });
    expect(decideWorkspace(user(), "workspace.sessions.create", as("member")).allowed).toBe(true);
    expect(status(decideWorkspace(user(), "workspace.manage", as("member")))).toBe(403);
    expect(decideWorkspace(user(), "workspace.manage", as("admin")).allowed).toBe(true);
  });
});
