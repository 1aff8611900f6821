import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import {
  createAttendee,
  createSession,
  signIn,
  type SignedInUser,
  type TestAttendee,
} from "../../../test/helpers/actors.js";

/**
 * Each instance remembers the ask context of its sessions (questions.ask-context.ts) so that an ask is one
 * statement. Two instances on one database: whatever one of them changes, the other decides its next ask on it,
 * not on what it remembered.
 */
describe("questions: the remembered ask context across two instances", () => {
  let a: TestApp;
  let b: TestApp;
  let host: SignedInUser;
  beforeAll(async () => {
    const env = {
      RATE_LIMIT_IP_MAX: "100000",
      RATE_LIMIT_ACTOR_MAX: "100000",
      QA_QUESTIONS_PER_MINUTE: "100",
    };
    a = await createTestApp({ env });
    b = await createTestApp({ env, database: a.db });
    host = await signIn(a.app, a.db.db, "Cache Host");
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const ask = (on: TestApp, sessionId: string, who: TestAttendee, text: string) =>
    on.app.inject({
      method: "POST",
      url: `/api/sessions/${sessionId}/questions`,
      headers: { authorization: `Bearer ${who.token}` },
      payload: { text },
    });
  const asHost = { authorization: "" };
  const live = async () => {
    asHost.authorization = `Bearer ${host.token}`;
    const sessionId = await createSession(a.db.db, {
      userId: host.userId,
      workspaceId: host.personalWorkspaceId,
    });
    const people = await Promise.all(
      ["Ada", "Bob", "Cy"].map((name) => createAttendee(a.app, a.db.db, sessionId, name)),
    );
    // Instance A reads and remembers the session's context with a first question.
    const first = await ask(a, sessionId, people[0]!, "What is the plan for the next release?");
    expect(first.statusCode, first.body).toBe(201);
    return { sessionId, people, first: first.json() as { id: string } };
  };

  it("refuses on A a duplicate of a question just asked on B", async () => {
    const { sessionId, people } = await live();
    const onB = await ask(b, sessionId, people[1]!, "How do we deploy this to production servers?");
    expect(onB.statusCode, onB.body).toBe(201);
    const onA = await ask(a, sessionId, people[2]!, "How do we deploy this to production servers?");
    expect(onA.statusCode, onA.body).toBe(409);
    expect(onA.json()).toMatchObject({
      code: "DUPLICATE_QUESTION",
      existingQuestionId: (onB.json() as { id: string }).id,
    });
  });

  it("takes on A a question like one B's moderator dismissed, and refuses one like one B's author edited to", async () => {
    const { sessionId, people, first } = await live();
    const dismiss = await b.app.inject({
      method: "PATCH",
      url: `/api/questions/${first.id}`,
      headers: asHost,
      payload: { status: "dismissed" },
    });
    expect(dismiss.statusCode, dismiss.body).toBe(200);
    const again = await ask(a, sessionId, people[1]!, "What is the plan for the next release?");
    expect(again.statusCode, again.body).toBe(201);

    const cy = await ask(a, sessionId, people[2]!, "Which database engine does the backend use?");
    expect(cy.statusCode, cy.body).toBe(201);
    const edit = await b.app.inject({
      method: "PATCH",
      url: `/api/questions/${(cy.json() as { id: string }).id}`,
      headers: { authorization: `Bearer ${people[2]!.token}` },
      payload: { text: "Will the recordings be published after the event?" },
    });
    expect(edit.statusCode, edit.body).toBe(200);
    const copy = await ask(a, sessionId, people[0]!, "Will the recordings be published after the event?");
    expect(copy.statusCode, copy.body).toBe(409);
    expect(copy.json()).toMatchObject({ code: "DUPLICATE_QUESTION" });
  });

  it("follows on A the Q&A settings and status B changed, both ways", async () => {
    const { sessionId, people } = await live();
    const settings = (qa: object) =>
      b.app.inject({
        method: "PATCH",
        url: `/api/sessions/${sessionId}`,
        headers: asHost,
        payload: { settings: { qa } },
      });
    expect((await settings({ enabled: false })).statusCode).toBe(200);
    const closed = await ask(a, sessionId, people[1]!, "Is the question box still open now?");
    expect(closed.statusCode, closed.body).toBe(409);
    expect(closed.json()).toMatchObject({ code: "QA_CLOSED" });
    expect((await settings({ enabled: true, moderation: "pre" })).statusCode).toBe(200);
    const held = await ask(a, sessionId, people[1]!, "Is the question box open again?");
    expect(held.statusCode, held.body).toBe(201);
    expect(held.json()).toMatchObject({ status: "pending" });
    const end = await b.app.inject({
      method: "POST",
      url: `/api/sessions/${sessionId}/end`,
      headers: asHost,
    });
    expect(end.statusCode, end.body).toBe(200);
    const ended = await ask(a, sessionId, people[2]!, "Did I miss the end of the talk?");
    expect(ended.statusCode, ended.body).toBe(409);
    expect(ended.json()).toMatchObject({ code: "QA_CLOSED" });
  });

  it("stores each question and its event once, on whichever instance it was asked", async () => {
    const { sessionId, people } = await live();
    const texts = [
      "Can attendees download the slides afterwards?",
      "Is there a discount for students this year?",
      "Where can we find the source code of the demo?",
      "Which cloud providers are supported at launch?",
    ];
    for (const [i, text] of texts.entries()) {
      const res = await ask(i % 2 ? b : a, sessionId, people[i % 3]!, text);
      expect(res.statusCode, res.body).toBe(201);
    }
    const { rows } = await a.db.pool.query<{ questions: number; events: number; revision: number }>(
      `select (select count(*)::int from questions where session_id = s.id) as questions,
         (select count(*)::int from session_events where session_id = s.id and type = 'question.created') as events,
         s.questions_revision as revision
       from sessions s where s.id = $1`,
      [sessionId],
    );
    expect(rows[0]).toEqual({ questions: 5, events: 5, revision: 5 });
  });
});
