import type { LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import type { SignedInUser, TestAttendee } from "../../../test/helpers/actors.js";
import type { attendees } from "../attendees/attendees.table.js";
import type { sessions } from "./sessions.table.js";

/**
 * Tenant isolation (issue 4, point 11): every route of the sessions and attendees API × every kind of caller,
 * with the status each must get. Tenant A is the owner's workspace (owner, a co-host and a moderator of the
 * session, another presenter of the workspace, an attendee of the session); tenant B is another presenter's
 * workspace with a session and an attendee of its own. Statuses follow the policy (src/modules/auth/policy.ts,
 * docs/API.md): 401 without a credential, 404 for whoever may not see the object, 403 for whoever sees it but
 * may not act.
 *
 * Each cell runs against a fresh session of tenant A (with its grants and attendees) and a fresh attendee of
 * tenant B, so destructive cells do not affect each other. Beyond the status, every cell checks that:
 * a refusal changed nothing and logged nothing; a caller outside a tenant neither changed that tenant's
 * objects nor got any of their ids back (except on the two routes that are public by design: joining, and the
 * public face behind a join code); an allowed call did what it says, to the object it names and no other.
 */
export type ActorName =
  | "owner"
  | "coHost"
  | "moderator"
  | "workspacePresenter"
  | "otherPresenter"
  | "attendee"
  | "otherAttendee"
  | "anonymous";

export const TENANT: Record<ActorName, "A" | "B" | null> = {
  owner: "A",
  coHost: "A",
  moderator: "A",
  workspacePresenter: "A",
  attendee: "A",
  otherPresenter: "B",
  otherAttendee: "B",
  anonymous: null,
};

/** A status, or a status with the exact problem code it must carry. */
export type Expected = number | readonly [number, string];

/** What one cell acts on. */
export interface Cell {
  /** Tenant A's session, fresh for this cell, with the co-host and moderator grants. */
  sessionId: string;
  joinCode: string;
  /** The "attendee" actor: an attendee of this session. */
  attendee: TestAttendee;
  /** A second attendee of this session: what ban and remove act on. */
  target: TestAttendee;
  /** The "otherAttendee" actor: an attendee of tenant B's session. */
  otherAttendee: TestAttendee;
}

type SessionRow = typeof sessions.$inferSelect;
type AttendeeRow = typeof attendees.$inferSelect;

export interface Snapshot {
  a: { session: SessionRow | undefined; attendees: AttendeeRow[] };
  b: { session: SessionRow | undefined; attendee: AttendeeRow | undefined };
  counts: { sessions: number; attendees: number; events: number };
}

export interface RouteCase {
  name: string;
  /** The state of the cell's session: start wants one not live yet, the rest a live one. */
  sessionStatus: "scheduled" | "live";
  /** Reachable by anyone by design (joining; the public face of a join code). */
  public?: boolean;
  request: (cell: Cell) => { method: "GET" | "POST" | "PATCH" | "DELETE"; url: string; payload?: object };
  expected: Record<ActorName, Expected>;
  /** What an allowed call must have done (refusals are checked for every route alike). */
  allowed?: (args: {
    cell: Cell;
    actor: ActorName;
    res: LightMyRequestResponse;
    before: Snapshot;
    after: Snapshot;
  }) => Promise<void> | void;
}

/** What the route cases read from the test's world, when they run (it is built in the test's beforeAll). */
export interface MatrixWorld {
  readonly users: Record<
    "owner" | "coHost" | "moderator" | "workspacePresenter" | "otherPresenter",
    SignedInUser
  >;
  readonly workspaceA: string;
  readonly otherSessionId: string;
  listAll(
    actor: ActorName,
    cell: Cell,
    query?: string,
  ): Promise<Array<{ id: string; workspaceId: string; ownerId: string }>>;
  workspacesOf(actor: ActorName): string[];
}

export const sessionRowOf = (snap: Snapshot) => snap.a.session;
export const attendeeIn = (snap: Snapshot, id: string) => snap.a.attendees.find((a) => a.id === id);

// Row templates by the policy's actions (docs/API.md "Access control").
export const read = {
  owner: 200,
  coHost: 200,
  moderator: 200,
  workspacePresenter: 200,
  otherPresenter: 404,
  attendee: 200,
  otherAttendee: 404,
  anonymous: 401,
} satisfies Record<ActorName, Expected>;
export const runners = (ok: number) =>
  ({
    owner: ok,
    coHost: ok,
    moderator: 403,
    workspacePresenter: 403,
    otherPresenter: 404,
    attendee: 403,
    otherAttendee: 404,
    anonymous: 401,
  }) satisfies Record<ActorName, Expected>;
export const staff = (ok: number) =>
  ({
    owner: ok,
    coHost: ok,
    moderator: ok,
    workspacePresenter: 403,
    otherPresenter: 404,
    attendee: 403,
    otherAttendee: 404,
    anonymous: 401,
  }) satisfies Record<ActorName, Expected>;
export const presenters = (ok: number) =>
  ({
    owner: ok,
    coHost: ok,
    moderator: ok,
    workspacePresenter: ok,
    otherPresenter: ok,
    attendee: 403,
    otherAttendee: 403,
    anonymous: 401,
  }) satisfies Record<ActorName, Expected>;
export const everyone = (ok: number) =>
  ({
    owner: ok,
    coHost: ok,
    moderator: ok,
    workspacePresenter: ok,
    otherPresenter: ok,
    attendee: ok,
    otherAttendee: ok,
    anonymous: ok,
  }) satisfies Record<ActorName, Expected>;

export const expectSanction = (kind: "bannedAt" | "removedAt") =>
  (({ cell, after }) => {
    const target = attendeeIn(after, cell.target.attendeeId);
    expect(target?.[kind]).toBeInstanceOf(Date);
    expect(target?.status).toBe("left");
    // The attendee acting as caller elsewhere in the matrix is untouched.
    expect(attendeeIn(after, cell.attendee.attendeeId)).toMatchObject({ bannedAt: null, removedAt: null });
  }) satisfies RouteCase["allowed"];
