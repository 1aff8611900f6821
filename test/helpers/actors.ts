import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import type { App } from "../../src/app.js";
import type { Database } from "../../src/db/client.js";
import { attendees } from "../../src/modules/attendees/attendees.table.js";
import { users, workspace_members } from "../../src/modules/auth/auth.table.js";
import { sessions } from "../../src/modules/sessions/sessions.table.js";

/** The origin tests send on browser-like requests; PUBLIC_URL of testConfig() is http://localhost:<PORT>. */
export function trustedOrigin(app: App): string {
  return app.authServices.auth.options.baseURL as string;
}

export interface SignedInUser {
  userId: string;
  email: string;
  /** The bearer token (set-auth-token). */
  token: string;
  /** The Cookie header value carrying the session. */
  cookie: string;
  personalWorkspaceId: string;
}

/** Signs a user in through the development sign-in, as a browser would, and finds its personal workspace. */
export async function signIn(
  app: App,
  db: Database,
  name: string,
  email = uniqueEmail(name),
  /** Where the sign-in comes from: tests sharing a Redis share its per-address sign-in limit. */
  remoteAddress = "127.0.0.1",
): Promise<SignedInUser> {
  const res = await app.inject({
    method: "POST",
    url: "/api/auth/dev/sign-in",
    remoteAddress,
    headers: { origin: trustedOrigin(app) },
    payload: { name, email },
  });
  if (res.statusCode !== 200) throw new Error(`dev sign-in failed: ${res.statusCode} ${res.body}`);
  const token = res.headers["set-auth-token"];
  const setCookie = ([] as string[]).concat(res.headers["set-cookie"] ?? []);
  const cookie = setCookie.map((c) => c.split(";")[0]).join("; ");
  const userId = (res.json() as { user: { id: string } }).user.id;
  if (typeof token !== "string" || !cookie) throw new Error("dev sign-in gave no token or cookie");
  const [membership] = await db
    .select({ workspaceId: workspace_members.organizationId })
    .from(workspace_members)
    .where(eq(workspace_members.userId, userId));
  if (!membership) throw new Error("no personal workspace after sign-in");
  return { userId, email, token, cookie, personalWorkspaceId: membership.workspaceId };
}

export function uniqueEmail(name: string): string {
  return `${name.toLowerCase().replace(/[^a-z0-9]+/g, ".")}.${randomBytes(4).toString("hex")}@example.test`;
}

export async function addToWorkspace(
  db: Database,
  workspaceId: string,
  userId: string,
  role: "owner" | "admin" | "member",
): Promise<void> {
  await db
    .insert(workspace_members)
    .values({ organizationId: workspaceId, userId, role, createdAt: new Date() });
}

export async function makePlatformAdmin(db: Database, userId: string): Promise<void> {
  await db.update(users).set({ role: "admin" }).where(eq(users.id, userId));
}

export async function createSession(
  db: Database,
  owner: { userId: string; workspaceId: string },
  status: "draft" | "live" = "live",
): Promise<string> {
  const [row] = await db
    .insert(sessions)
    .values({
      workspaceId: owner.workspaceId,
      ownerId: owner.userId,
      title: "A talk",
      joinCode: randomBytes(4).toString("hex").toUpperCase(),
      status,
      startedAt: status === "live" ? new Date() : null,
    })
    .returning({ id: sessions.id });
  return row!.id;
}

export interface TestAttendee {
  attendeeId: string;
  sessionId: string;
  token: string;
}

/** An attendee row and a token for it (joining over HTTP belongs to the sessions API). */
export async function createAttendee(
  app: App,
  db: Database,
  sessionId: string,
  name = "Guest",
): Promise<TestAttendee> {
  const [row] = await db
    .insert(attendees)
    .values({ sessionId, displayName: name })
    .returning({ id: attendees.id });
  const { token } = await app.authServices.attendeeTokens.issue({ attendeeId: row!.id, sessionId });
  return { attendeeId: row!.id, sessionId, token };
}

/** Creates an API key over HTTP for a signed-in user. */
export async function createApiKey(
  app: App,
  user: SignedInUser,
  scopes: string[],
): Promise<{ id: string; key: string }> {
  const res = await app.inject({
    method: "POST",
    url: "/api/api-keys",
    headers: { authorization: `Bearer ${user.token}` },
    payload: { name: `key with ${scopes.length} scopes`, scopes },
  });
  if (res.statusCode !== 201) throw new Error(`API key creation failed: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; key: string };
}
