import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import {
  addToWorkspace,
  createApiKey,
  createAttendee,
  createSession,
  signIn,
  type SignedInUser,
} from "../../../test/helpers/actors.js";
import { sessionMembers } from "./sessions.table.js";

interface Page {
  items: Array<{ id: string; status: string; summary: { attendeesNow: number } }>;
  nextCursor: string | null;
}

describe("GET /api/sessions", () => {
  let t: TestApp;
  let host: SignedInUser;
  let stranger: SignedInUser;
  const owned: string[] = [];
  beforeAll(async () => {
    t = await createTestApp();
    host = await signIn(t.app, t.db.db, "Lister");
    stranger = await signIn(t.app, t.db.db, "Stranger");
    for (let i = 0; i < 5; i += 1) {
      owned.push(
        await createSession(
          t.db.db,
          { userId: host.userId, workspaceId: host.personalWorkspaceId },
          i % 2 ? "live" : "draft",
        ),
      );
    }
  });
  afterAll(async () => t?.close());

  const list = async (user: SignedInUser | Record<string, string>, query = "") => {
    const headers = "token" in user ? { authorization: `Bearer ${user.token}` } : user;
    const res = await t.app.inject({ method: "GET", url: `/api/sessions${query}`, headers });
    return res;
  };

  it("pages through the caller's sessions newest first, stable while sessions are added", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await list(host, `?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as Page;
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
      pages += 1;
      // A session created mid-listing is newer than every page: it must not shift the pages being read.
      if (pages === 1) {
        await createSession(t.db.db, { userId: host.userId, workspaceId: host.personalWorkspaceId }, "draft");
      }
    } while (cursor);
    expect(seen).toEqual([...owned].reverse());
    expect(pages).toBe(3);
  });

  it("filters by status and creation date, and counts who is present now", async () => {
    const live = owned[1]!;
    const here = await createAttendee(t.app, t.db.db, live, "Here");
    const gone = await createAttendee(t.app, t.db.db, live, "Gone");
    await t.db.pool.query("update attendees set status = 'left' where id = $1", [gone.attendeeId]);
    // Every question asked counts, whatever became of it; another session's questions do not.
    for (const [session, status] of [
      [live, "visible"],
      [live, "dismissed"],
      [owned[3]!, "visible"],
    ] as const) {
      await t.db.pool.query(
        "insert into questions (session_id, author_attendee_id, text, status) values ($1, $2, 'Why?', $3)",
        [session, here.attendeeId, status],
      );
    }
    const res = await list(host, "?status=live");
    const page = res.json() as Page;
    expect(page.items.map((item) => item.status)).toEqual(["live", "live"]);
    expect(page.items.find((item) => item.id === live)?.summary).toEqual({
      attendeesNow: 1,
      peakAttendees: 2,
      questions: 2,
    });
    const future = await list(
      host,
      `?createdFrom=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    );
    expect((future.json() as Page).items).toEqual([]);
  });

  it("shows a session to its co-hosts and workspace members, and to no one else", async () => {
    expect((await list(stranger)).json()).toEqual({ items: [], nextCursor: null });
    const member = await signIn(t.app, t.db.db, "Member");
    await addToWorkspace(t.db.db, host.personalWorkspaceId, member.userId, "member");
    expect((await list(member, "?limit=100")).json().items.length).toBeGreaterThanOrEqual(owned.length);
    const coHost = await signIn(t.app, t.db.db, "Co-host");
    await t.db.db
      .insert(sessionMembers)
      .values({ sessionId: owned[0]!, userId: coHost.userId, role: "co_host" });
    expect((await list(coHost)).json().items.map((item: { id: string }) => item.id)).toEqual([owned[0]]);
  });

  it("pages through sessions seen in every way at once, each exactly once and in order", async () => {
    // The viewer owns sessions, belongs to two workspaces (one of them its own) and co-hosts one session in
    // a third: the page merges three index walks, so duplicates and gaps between pages would show here.
    const viewer = await signIn(t.app, t.db.db, "Viewer");
    const other = await signIn(t.app, t.db.db, "Other");
    const third = await signIn(t.app, t.db.db, "Third");
    await addToWorkspace(t.db.db, other.personalWorkspaceId, viewer.userId, "member");
    const expected: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      expected.push(
        await createSession(t.db.db, { userId: viewer.userId, workspaceId: viewer.personalWorkspaceId }),
        await createSession(t.db.db, { userId: other.userId, workspaceId: other.personalWorkspaceId }),
        // The viewer's own session in the other workspace: seen as owner and as member, listed once.
        await createSession(t.db.db, { userId: viewer.userId, workspaceId: other.personalWorkspaceId }),
      );
    }
    const coHosted = await createSession(t.db.db, {
      userId: third.userId,
      workspaceId: third.personalWorkspaceId,
    });
    await createSession(t.db.db, { userId: third.userId, workspaceId: third.personalWorkspaceId });
    await t.db.db
      .insert(sessionMembers)
      .values({ sessionId: coHosted, userId: viewer.userId, role: "co_host" });
    expected.push(coHosted);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await list(viewer, `?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as Page;
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...expected].reverse());
  });

  it("refuses attendees, keys without sessions:read, bad cursors and bad filters", async () => {
    const attendee = await createAttendee(t.app, t.db.db, owned[1]!);
    expect((await list({ authorization: `Bearer ${attendee.token}` })).statusCode).toBe(403);
    const writeOnly = await createApiKey(t.app, host, ["analytics:read"]);
    expect((await list({ "x-api-key": writeOnly.key })).statusCode).toBe(403);
    const reader = await createApiKey(t.app, host, ["sessions:read"]);
    expect((await list({ "x-api-key": reader.key })).statusCode).toBe(200);
    expect((await list({})).statusCode).toBe(401);
    for (const query of [
      "?cursor=not-a-cursor",
      "?status=paused",
      "?limit=1000",
      "?createdFrom=yesterday",
      "?sort=asc",
    ]) {
      const res = await list(host, query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json()).toMatchObject({ code: "VALIDATION_FAILED" });
    }
  });
});
