import { beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../../../test/helpers/app.js";
import { createAttendee, signIn, type SignedInUser } from "../../../test/helpers/actors.js";
import { connectSocket, until } from "../../../test/helpers/sockets.js";
import { questionsFixture, type Question } from "../questions/questions.fixture.js";

/** `POST /api/questions/:id/ban-author`: the moderation board bans an asker without ever learning who it is. */
describe("banning a question's author", () => {
  const { ctx, open, session, bearer, ask } = questionsFixture();
  let t: TestApp;
  let url: string;
  let moderator: SignedInUser;
  let stranger: SignedInUser;
  beforeAll(async () => {
    ({ t, url, moderator } = ctx);
    stranger = await signIn(t.app, t.db.db, "Other Presenter");
  });
  const banAuthor = (questionId: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: "POST", url: `/api/questions/${questionId}/ban-author`, headers, payload: {} });

  it("bans the anonymous asker: its token stops working and its socket is told and closed", async () => {
    const sessionId = await session({ allowAnonymous: true });
    const asker = await createAttendee(t.app, t.db.db, sessionId, "Mallory");
    const question = (
      await ask(sessionId, asker, { text: "Buy cheap watches now", anonymous: true })
    ).json() as Question;
    expect(JSON.stringify(question)).not.toContain(asker.attendeeId);
    const socket = await connectSocket(url, { sessionId, token: asker.token });
    open.push(socket.socket);

    const res = await banAuthor(question.id, bearer(moderator.token));
    expect(res.statusCode, res.body).toBe(204);

    await until("the asker heard it was banned", () => socket.received.of("you:removed").length === 1);
    expect(socket.received.of("you:removed")[0]).toEqual({ sessionId, reason: "banned" });
    const me = await t.app.inject({ method: "GET", url: "/api/me", headers: bearer(asker.token) });
    expect(me.statusCode).toBe(401);
    expect(me.json()).toMatchObject({ code: "ATTENDEE_TOKEN_REVOKED" });
    const { rows } = await t.db.pool.query(
      "select type from session_events where session_id = $1 and type = $2",
      [sessionId, "attendee.banned"],
    );
    expect(rows).toHaveLength(1);
  });

  it("refuses attendees (403), presenters of other sessions and unknown questions (404), and strangers (401)", async () => {
    const sessionId = await session();
    const asker = await createAttendee(t.app, t.db.db, sessionId, "Ada");
    const other = await createAttendee(t.app, t.db.db, sessionId, "Bob");
    const question = (await ask(sessionId, asker, { text: "When is the break?" })).json() as Question;

    const byAttendee = await banAuthor(question.id, bearer(other.token));
    expect([byAttendee.statusCode, byAttendee.json().code]).toEqual([403, "FORBIDDEN"]);
    const byStranger = await banAuthor(question.id, bearer(stranger.token));
    expect([byStranger.statusCode, byStranger.json().code]).toEqual([404, "QUESTION_NOT_FOUND"]);
    const unknown = await banAuthor("00000000-0000-4000-8000-000000000000", bearer(moderator.token));
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, "QUESTION_NOT_FOUND"]);
    const anonymous = await banAuthor(question.id);
    expect(anonymous.statusCode).toBe(401);
    const badId = await banAuthor("not-a-uuid", bearer(moderator.token));
    expect([badId.statusCode, badId.json().code]).toEqual([400, "VALIDATION_FAILED"]);

    // Nobody was banned by the refused calls.
    const me = await t.app.inject({ method: "GET", url: "/api/me", headers: bearer(asker.token) });
    expect(me.statusCode).toBe(200);
  });

  it("answers 409 AUTHOR_NOT_ATTENDEE for a question a signed-in user asked", async () => {
    const sessionId = await session();
    const { rows } = await t.db.pool.query<{ id: string }>(
      "insert into questions (session_id, author_user_id, text) values ($1, $2, 'From the host') returning id",
      [sessionId, ctx.host.userId],
    );
    const res = await banAuthor(rows[0]!.id, bearer(moderator.token));
    expect([res.statusCode, res.json().code]).toEqual([409, "AUTHOR_NOT_ATTENDEE"]);
  });
});
