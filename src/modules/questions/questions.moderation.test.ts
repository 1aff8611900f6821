import { beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../../../test/helpers/app.js";
import { createAttendee, signIn, type SignedInUser } from "../../../test/helpers/actors.js";
import { connectSocket, request, until } from "../../../test/helpers/sockets.js";
import { questionsFixture, type Question } from "./questions.fixture.js";

describe("questions: moderation, the author's edits, the socket", () => {
  const { ctx, open, session, bearer, ask, vote, patch, list, events } = questionsFixture();
  let t: TestApp;
  let url: string;
  let moderator: SignedInUser;
  beforeAll(() => ({ t, url, moderator } = ctx));

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
