import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import {
  addToWorkspace,
  createAttendee,
  createSession,
  signIn,
  type SignedInUser,
  type TestAttendee,
} from "../../../test/helpers/actors.js";
import { connectSocket, listen, request, until, type ClientSocket } from "../../../test/helpers/sockets.js";
import { sessionMembers } from "../sessions/sessions.table.js";

interface Question {
  id: string;
  text: string;
  status: string;
  pinned: boolean;
  answered: boolean;
  upvotes: number;
  downvotes: number;
  authorName: string | null;
  mine: boolean;
  myVote: number;
  version: number;
}

describe("questions", () => {
  let t: TestApp;
  let url: string;
  let host: SignedInUser;
  let moderator: SignedInUser;
  const open: ClientSocket[] = [];
  beforeAll(async () => {
    t = await createTestApp({
      env: {
        RATE_LIMIT_IP_MAX: "100000",
        RATE_LIMIT_ACTOR_MAX: "100000",
        QA_QUESTIONS_PER_MINUTE: "4",
        REALTIME_COALESCE_MS: "50",
      },
    });
    url = await listen(t.app);
    host = await signIn(t.app, t.db.db, "QA Host");
    moderator = await signIn(t.app, t.db.db, "QA Moderator");
    await addToWorkspace(t.db.db, host.personalWorkspaceId, moderator.userId, "member");
  });
  afterEach(() => {
    for (const socket of open.splice(0)) socket.close();
  });
  afterAll(async () => t?.close());

  const session = async (qa: Record<string, unknown> = {}) => {
    const id = await createSession(t.db.db, { userId: host.userId, workspaceId: host.personalWorkspaceId });
    await t.db.pool.query(
      "update sessions set settings = jsonb_build_object('qa', $2::jsonb) where id = $1",
      [id, JSON.stringify(qa)],
    );
    await t.db.db
      .insert(sessionMembers)
      .values({ sessionId: id, userId: moderator.userId, role: "moderator" });
    return id;
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const ask = (sessionId: string, who: TestAttendee, payload: object) =>
    t.app.inject({
      method: "POST",
      url: `/api/sessions/${sessionId}/questions`,
      headers: bearer(who.token),
      payload,
    });
  const vote = (questionId: string, who: TestAttendee, value: number) =>
    t.app.inject({
      method: "POST",
      url: `/api/questions/${questionId}/vote`,
      headers: bearer(who.token),
      payload: { value },
    });
  const patch = (questionId: string, token: string, payload: object) =>
    t.app.inject({ method: "PATCH", url: `/api/questions/${questionId}`, headers: bearer(token), payload });
  const list = async (sessionId: string, token: string, query = "") => {
    const res = await t.app.inject({
      method: "GET",
      url: `/api/sessions/${sessionId}/questions${query}`,
      headers: bearer(token),
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { items: Question[]; nextCursor: string | null };
  };
  const events = async (sessionId: string, prefix = "question.") =>
    (
      await t.db.pool.query(
        "select type, payload from session_events where session_id = $1 and type like $2 order by id",
        [sessionId, `${prefix}%`],
      )
    ).rows as Array<{ type: string; payload: Record<string, unknown> }>;
  /** Tallies are recounted every REALTIME_COALESCE_MS (50 ms here): wait for the list to show these. */
  const tallyReaches = async (sessionId: string, token: string, expected: Partial<Question>) => {
    let last: Question | undefined;
    await until(`tally ${JSON.stringify(expected)}`, async () => {
      [last] = (await list(sessionId, token)).items;
      return Object.entries(expected).every(([key, value]) => last?.[key as keyof Question] === value);
    }).catch(() => expect(last).toMatchObject(expected));
  };

  it("takes a question from an attendee, trimmed, logged, and sent to every client", async () => {
    const sessionId = await session();
    const ada = await createAttendee(t.app, t.db.db, sessionId, "Ada");
    const bob = await createAttendee(t.app, t.db.db, sessionId, "Bob");
    const watcher = await connectSocket(url, { sessionId, token: bob.token });
    open.push(watcher.socket);
    const res = await ask(sessionId, ada, { text: "  Will the slides be shared?  " });
    expect(res.statusCode, res.body).toBe(201);
    const question = res.json() as Question;
    expect(question).toMatchObject({
      text: "Will the slides be shared?",
      status: "visible",
      authorName: "Ada",
      mine: true,
      myVote: 0,
      upvotes: 0,
    });
    await until("Bob saw it", () =>
      watcher.received.of("question:created").some((q) => q.id === question.id),
    );
    expect(watcher.received.of("question:created")[0]).not.toHaveProperty("mine");
    expect(await events(sessionId)).toEqual([
      { type: "question.created", payload: { questionId: question.id, status: "visible" } },
    ]);
    // Anonymous questions carry no name; the host cannot ask (attendees only).
    const anonymous = await ask(sessionId, ada, {
      text: "Is there a budget for this next year?",
      anonymous: true,
    });
    expect(anonymous.json()).toMatchObject({ authorName: null, anonymous: true });
    const byHost = await t.app.inject({
      method: "POST",
      url: `/api/sessions/${sessionId}/questions`,
      headers: bearer(host.token),
      payload: { text: "Host question here" },
    });
    expect(byHost.statusCode).toBe(403);
  });

  it("refuses what the session's settings do not allow", async () => {
    const sessionId = await session({ maxQuestionLength: 40, allowAnonymous: false });
    const ada = await createAttendee(t.app, t.db.db, sessionId, "Ada");
    const tooLong = await ask(sessionId, ada, { text: "x".repeat(41) });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().errors[0].path).toBe("body.text");
    expect((await ask(sessionId, ada, { text: "   " })).statusCode).toBe(400);
    expect((await ask(sessionId, ada, { text: "Hello there", anonymous: true })).json()).toMatchObject({
      code: "ANONYMOUS_NOT_ALLOWED",
    });
    expect((await ask(sessionId, ada, { text: "Hello", extra: 1 })).statusCode).toBe(400);
    const closed = await session({ enabled: false });
    const cy = await createAttendee(t.app, t.db.db, closed, "Cy");
    expect((await ask(closed, cy, { text: "Anyone there?" })).json()).toMatchObject({ code: "QA_CLOSED" });
    // Another session's attendee can neither ask nor read here.
    expect((await ask(sessionId, cy, { text: "Wrong room?" })).statusCode).toBe(404);
    const elsewhere = await t.app.inject({
      method: "GET",
      url: `/api/sessions/${sessionId}/questions`,
      headers: bearer(cy.token),
    });
    expect(elsewhere.json()).toMatchObject({ status: 404, code: "SESSION_NOT_FOUND" });
  });

  it("holds questions for moderators in pre-moderation, shown only to them and the author", async () => {
    const sessionId = await session({ moderation: "pre" });
    const ada = await createAttendee(t.app, t.db.db, sessionId, "Ada");
    const bob = await createAttendee(t.app, t.db.db, sessionId, "Bob");
    const bobSocket = await connectSocket(url, { sessionId, token: bob.token });
    const staffSocket = await connectSocket(url, { sessionId, token: moderator.token });
    const adaSocket = await connectSocket(url, { sessionId, token: ada.token });
    open.push(bobSocket.socket, staffSocket.socket, adaSocket.socket);
    const held = (await ask(sessionId, ada, { text: "What about the roadmap?" })).json() as Question;
    expect(held.status).toBe("pending");
    await until(
      "staff saw the pending question",
      () => staffSocket.received.of("question:created").length === 1,
    );
    await until("the author saw it", () => adaSocket.received.of("question:created").length === 1);
    expect((await list(sessionId, bob.token)).items).toEqual([]);
    expect((await list(sessionId, ada.token)).items).toMatchObject([
      { id: held.id, status: "pending", mine: true },
    ]);
    expect((await list(sessionId, moderator.token, "?status=pending")).items.map((q) => q.id)).toEqual([
      held.id,
    ]);
    expect(
      (
        await t.app.inject({
          method: "GET",
          url: `/api/sessions/${sessionId}/questions?status=pending`,
          headers: bearer(bob.token),
        })
      ).statusCode,
    ).toBe(403);
    // Bob cannot vote on what he cannot see.
    expect((await vote(held.id, bob, 1)).statusCode).toBe(404);

    const approved = await patch(held.id, moderator.token, { status: "visible" });
    expect(approved.statusCode, approved.body).toBe(200);
    await until("Bob saw it approved", () =>
      bobSocket.received.of("question:updated").some((q) => q.status === "visible"),
    );
    expect(bobSocket.received.of("question:created")).toEqual([]);
    expect((await list(sessionId, bob.token)).items.map((q) => q.id)).toEqual([held.id]);
  });

  it("counts votes exactly: one per attendee, idempotent retries, retraction, no self-votes", async () => {
    const sessionId = await session({ allowDownvotes: true });
    const ada = await createAttendee(t.app, t.db.db, sessionId, "Ada");
    const voters = await Promise.all(
      ["Bob", "Cy", "Di"].map((name) => createAttendee(t.app, t.db.db, sessionId, name)),
    );
    const watcher = await connectSocket(url, { sessionId, token: voters[0]!.token });
    open.push(watcher.socket);
    const q = (await ask(sessionId, ada, { text: "How do votes work here?" })).json() as Question;
    expect((await vote(q.id, voters[0]!, 1)).json()).toEqual({ questionId: q.id, myVote: 1 });
    expect((await vote(q.id, voters[0]!, 1)).statusCode).toBe(200);
    expect((await vote(q.id, voters[1]!, 1)).statusCode).toBe(200);
    expect((await vote(q.id, voters[2]!, -1)).statusCode).toBe(200);
    await tallyReaches(sessionId, voters[0]!.token, { upvotes: 2, downvotes: 1, myVote: 1 });
    // Flip and retract.
    await vote(q.id, voters[0]!, -1);
    await vote(q.id, voters[1]!, 0);
    await vote(q.id, voters[1]!, 0);
    await tallyReaches(sessionId, voters[2]!.token, { upvotes: 0, downvotes: 2, myVote: -1 });
    await until("the tally reached clients", () =>
      watcher.received
        .of("question:tallies")
        .some((e) => e.tallies.some((x) => x.downvotes === 2 && x.upvotes === 0)),
    );
    const own = await vote(q.id, ada, 1);
    expect(own.statusCode).toBe(409);
    expect(own.json().code).toBe("OWN_QUESTION");
    expect((await vote(q.id, voters[0]!, 2)).statusCode).toBe(400);

    const noDownvotes = await session();
    const e = await createAttendee(t.app, t.db.db, noDownvotes, "E");
    const f = await createAttendee(t.app, t.db.db, noDownvotes, "F");
    const q2 = (await ask(noDownvotes, e, { text: "Downvotes are off, right?" })).json() as Question;
    expect((await vote(q2.id, f, -1)).json().code).toBe("DOWNVOTES_DISABLED");
  });

  it("lets moderators pin, answer, dismiss, edit (audited) and delete, live on every client", async () => {
    const sessionId = await session();
    const ada = await createAttendee(t.app, t.db.db, sessionId, "Ada");
    const bob = await createAttendee(t.app, t.db.db, sessionId, "Bob");
    const bobSocket = await connectSocket(url, { sessionId, token: bob.token });
    open.push(bobSocket.socket);
    const first = (await ask(sessionId, ada, { text: "First question about pricing" })).json() as Question;
    const second = (
      await ask(sessionId, ada, { text: "Second question on the timeline" })
    ).json() as Question;
    expect((await patch(second.id, moderator.token, { pinned: true })).json()).toMatchObject({
      pinned: true,
    });
    expect((await list(sessionId, bob.token, "?sort=new")).items.map((q) => q.id)).toEqual([
      second.id,
      first.id,
    ]);
    expect((await list(sessionId, bob.token, "?sort=top")).items[0]!.id).toBe(second.id);
    const edited = await patch(first.id, moderator.token, { text: "First question about the pricing model" });
    expect(edited.json()).toMatchObject({ text: "First question about the pricing model" });
    await patch(first.id, moderator.token, { answered: true });
    expect((await list(sessionId, bob.token)).items.map((q) => q.id)).toEqual([second.id]);
    expect((await list(sessionId, bob.token, "?status=answered")).items.map((q) => q.id)).toEqual([first.id]);
    await patch(second.id, moderator.token, { status: "dismissed" });
    await until("Bob saw the dismissal", () =>
      bobSocket.received
        .of("question:removed")
        .some((e) => e.questionId === second.id && e.reason === "dismissed"),
    );
    expect((await list(sessionId, moderator.token, "?status=dismissed")).items.map((q) => q.id)).toEqual([
      second.id,
    ]);
    expect(
      (
        await t.app.inject({
          method: "DELETE",
          url: `/api/questions/${first.id}`,
          headers: bearer(moderator.token),
        })
      ).statusCode,
    ).toBe(204);
    await until("Bob saw the deletion", () =>
      bobSocket.received
        .of("question:removed")
        .some((e) => e.questionId === first.id && e.reason === "deleted"),
    );
    const log = await events(sessionId);
    expect(log.map((e) => e.type)).toEqual([
      "question.created",
      "question.created",
      "question.moderated",
      "question.moderated",
      "question.moderated",
      "question.moderated",
      "question.deleted",
    ]);
    expect(log[3]!.payload).toMatchObject({
      textBefore: "First question about pricing",
      textAfter: "First question about the pricing model",
    });
    // Attendees do not moderate; an outsider does not even see the question.
    expect((await patch(second.id, bob.token, { pinned: false })).statusCode).toBe(403);
    const stranger = await signIn(t.app, t.db.db, "QA Stranger");
    expect((await patch(second.id, stranger.token, { pinned: false })).statusCode).toBe(404);
  });

  it("lets the author edit within the window and withdraw, and no one else", async () => {
    const sessionId = await session();
    const ada = await createAttendee(t.app, t.db.db, sessionId, "Ada");
    const bob = await createAttendee(t.app, t.db.db, sessionId, "Bob");
    const q = (await ask(sessionId, ada, { text: "Typo in my questoin" })).json() as Question;
    expect((await patch(q.id, ada.token, { text: "Typo in my question" })).json()).toMatchObject({
      text: "Typo in my question",
      editedAt: expect.any(String),
    });
    expect((await patch(q.id, bob.token, { text: "Hijacked" })).statusCode).toBe(403);
    expect((await patch(q.id, ada.token, { pinned: true })).statusCode).toBe(403);
    await t.db.pool.query("update questions set created_at = now() - interval '1 hour' where id = $1", [
      q.id,
    ]);
    expect((await patch(q.id, ada.token, { text: "Too late now" })).json().code).toBe("EDIT_WINDOW_CLOSED");
    expect(
      (await t.app.inject({ method: "DELETE", url: `/api/questions/${q.id}`, headers: bearer(ada.token) }))
        .statusCode,
    ).toBe(204);
    const { rows } = await t.db.pool.query("select status from questions where id = $1", [q.id]);
    expect(rows[0].status).toBe("withdrawn");
    expect((await list(sessionId, bob.token)).items).toEqual([]);
  });

  it("keeps spam out: rate limit, duplicates, links and profanity by the session's policy", async () => {
    const sessionId = await session({ maxLinks: 1 });
    const ada = await createAttendee(t.app, t.db.db, sessionId, "Ada");
    const bob = await createAttendee(t.app, t.db.db, sessionId, "Bob");
    const original = (
      await ask(sessionId, ada, { text: "When is the next release planned to ship?" })
    ).json() as Question;
    const duplicate = await ask(sessionId, bob, { text: "when is the NEXT release planned to ship" });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ code: "DUPLICATE_QUESTION", existingQuestionId: original.id });
    const links = await ask(sessionId, bob, {
      text: "See https://a.example/x and https://b.example/y please",
    });
    expect(links.json()).toMatchObject({ code: "TOO_MANY_LINKS" });
    const masked = await ask(sessionId, bob, { text: "Why is this shit so slow on mobile?" });
    expect(masked.statusCode).toBe(201);
    expect((masked.json() as Question).text).toBe("Why is this **** so slow on mobile?");
    // The fifth question within a minute is refused (QA_QUESTIONS_PER_MINUTE is 4 here).
    for (const text of ["One more thing about docs", "And about the API limits", "Plus the pricing tiers"]) {
      expect((await ask(sessionId, ada, { text })).statusCode).toBe(201);
    }
    const limited = await ask(sessionId, ada, { text: "Yet another question about support" });
    expect(limited.statusCode).toBe(429);

    const strict = await session({ profanity: "reject" });
    const cy = await createAttendee(t.app, t.db.db, strict, "Cy");
    expect((await ask(strict, cy, { text: "This is shit" })).json()).toMatchObject({ code: "PROFANITY" });
    const holding = await session({ profanity: "hold" });
    const di = await createAttendee(t.app, t.db.db, holding, "Di");
    expect((await ask(holding, di, { text: "This is shit" })).json()).toMatchObject({
      status: "pending",
      text: "This is shit",
    });
  });

  it("pages stably with a cursor in every sort order", async () => {
    const sessionId = await session();
    const askers = await Promise.all(
      Array.from({ length: 7 }, (_, i) => createAttendee(t.app, t.db.db, sessionId, `Asker ${i}`)),
    );
    const topics = ["pricing", "roadmap", "hiring", "security", "latency", "mobile", "offline"];
    for (const [i, asker] of askers.entries()) {
      expect(
        (await ask(sessionId, asker, { text: `A question about ${topics[i]} number ${i}` })).statusCode,
      ).toBe(201);
    }
    const viewer = askers[0]!;
    for (const sort of ["top", "new", "trending"]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: Question[]; nextCursor: string | null } = await list(
          sessionId,
          viewer.token,
          `?sort=${sort}&limit=3${cursor ? `&cursor=${cursor}` : ""}`,
        );
        seen.push(...page.items.map((q) => q.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(new Set(seen).size, sort).toBe(7);
    }
    const bad = await t.app.inject({
      method: "GET",
      url: `/api/sessions/${sessionId}/questions?sort=new&cursor=bm9wZQ`,
      headers: bearer(viewer.token),
    });
    expect(bad.statusCode).toBe(400);
  });

  it("answers question:submit and question:vote on the socket with the same service", async () => {
    const sessionId = await session();
    const ada = await createAttendee(t.app, t.db.db, sessionId, "Ada");
    const bob = await createAttendee(t.app, t.db.db, sessionId, "Bob");
    const adaSocket = await connectSocket(url, { sessionId, token: ada.token });
    const bobSocket = await connectSocket(url, { sessionId, token: bob.token });
    open.push(adaSocket.socket, bobSocket.socket);
    const asked = await request<Question>(adaSocket.socket, "question:submit", {
      text: "Asked over the socket?",
    });
    expect(asked).toMatchObject({ ok: true, data: { text: "Asked over the socket?", mine: true } });
    const id = (asked as { data: Question }).data.id;
    expect(await request(bobSocket.socket, "question:vote", { questionId: id, value: 1 })).toEqual({
      ok: true,
      data: { questionId: id, myVote: 1 },
    });
    expect(await request(adaSocket.socket, "question:vote", { questionId: id, value: 1 })).toMatchObject({
      ok: false,
      error: { code: "OWN_QUESTION" },
    });
    expect(await request(bobSocket.socket, "question:submit", { text: "" })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION_FAILED" },
    });
    await until("the tally reached Ada", () =>
      adaSocket.received
        .of("question:tallies")
        .some((e) => e.tallies.some((x) => x.questionId === id && x.upvotes === 1)),
    );
    // A fresh snapshot carries the board with the viewer's vote.
    const snapshot = await request<{ questions: Question[] }>(bobSocket.socket, "session:snapshot", {});
    expect(snapshot).toMatchObject({
      ok: true,
      data: { questions: [{ id, upvotes: 1, myVote: 1, mine: false }] },
    });
  });
});
