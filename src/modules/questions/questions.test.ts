import { beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../../../test/helpers/app.js";
import { createAttendee, type SignedInUser } from "../../../test/helpers/actors.js";
import { connectSocket, until } from "../../../test/helpers/sockets.js";
import { questionsFixture, type Question } from "./questions.fixture.js";

describe("questions: asking, voting, spam, paging", () => {
  const { ctx, open, session, bearer, ask, vote, list, events, tallyReaches } = questionsFixture();
  let t: TestApp;
  let url: string;
  let host: SignedInUser;
  beforeAll(() => ({ t, url, host } = ctx));

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

  it("refuses the vote of an attendee banned on another instance before this one heard of it", async () => {
    const sessionId = await session();
    const ada = await createAttendee(t.app, t.db.db, sessionId, "Ada");
    const bob = await createAttendee(t.app, t.db.db, sessionId, "Bob");
    const q = (await ask(sessionId, ada, { text: "Is the ban checked on every vote?" })).json() as Question;
    // Written as another instance's ban is: this instance's revocations do not know it, so the token still passes.
    await t.db.pool.query("update attendees set banned_at = now(), status = 'left' where id = $1", [
      bob.attendeeId,
    ]);
    const refused = await vote(q.id, bob, 1);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ code: "ATTENDEE_TOKEN_REVOKED" });
    const { rows } = await t.db.pool.query(
      "select count(*)::int as n from question_votes where question_id = $1",
      [q.id],
    );
    expect(rows[0]).toEqual({ n: 0 });
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
});
