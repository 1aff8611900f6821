import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import {
  createAttendee,
  createSession,
  signIn,
  type SignedInUser,
  type TestAttendee,
} from "../../../test/helpers/actors.js";

/** Questions no two of which are copies of each other. */
const DISTINCT_QUESTIONS = [
  "Can attendees download the slides afterwards?",
  "Is there a discount for students this year?",
  "Where can we find the source code of the demo?",
  "Which cloud providers are supported at launch?",
  "How long is the lunch break on the second day?",
];

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

  /** The named statements instance `on`'s pool is sent while `run` runs (both instances share one pool here). */
  const statementsDuring = async (on: TestApp, run: () => Promise<unknown>) => {
    const pool = on.db.pool;
    const query = pool.query;
    const names: string[] = [];
    pool.query = function (this: typeof pool, config: unknown, ...rest: unknown[]) {
      if (config && typeof config === "object" && "name" in config) names.push(String(config.name));
      return (query as (...args: unknown[]) => unknown).call(this, config, ...rest);
    } as typeof pool.query;
    try {
      await run();
    } finally {
      pool.query = query;
    }
    return names.filter((name) => name.startsWith("questions.ask"));
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
    const texts = DISTINCT_QUESTIONS.slice(0, 4);
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
  it("takes on A the next question in one statement after B retitled the session (an edit an ask does not read)", async () => {
    const { sessionId, people } = await live();
    const retitle = await b.app.inject({
      method: "PATCH",
      url: `/api/sessions/${sessionId}`,
      headers: asHost,
      payload: { title: "Retitled while questions come in" },
    });
    expect(retitle.statusCode, retitle.body).toBe(200);
    const sent = await statementsDuring(a, async () => {
      const res = await ask(a, sessionId, people[1]!, "Will the keynote be recorded for later viewing?");
      expect(res.statusCode, res.body).toBe(201);
    });
    expect(sent).toEqual(["questions.ask_insert"]);
  });

  it("writes questions asked at once on one instance one after another, each in one statement", async () => {
    const { sessionId, people } = await live();
    const texts = DISTINCT_QUESTIONS;
    const sent = await statementsDuring(a, async () => {
      const answers = await Promise.all(texts.map((text, i) => ask(a, sessionId, people[i % 3]!, text)));
      for (const res of answers) expect(res.statusCode, res.body).toBe(201);
    });
    expect(sent).toEqual(texts.map(() => "questions.ask_insert"));
    const { rows } = await a.db.pool.query<{ revision: number }>(
      "select questions_revision as revision from sessions where id = $1",
      [sessionId],
    );
    expect(rows[0]!.revision).toBe(texts.length + 1);
  });

  it.each(["on the same instance", "on the other instance, which remembers the session too"])(
    "refuses the copy of a question asked at the same moment %s",
    async (where) => {
      const { sessionId, people } = await live();
      const other = where === "on the same instance" ? a : b;
      if (other === b) {
        // Both instances come to remember the session at the same revision: B reads it with its first question, A
        // afresh with its next (its own remembered revision is B's question behind), and B again when its copy of a
        // question it remembers is refused (a refusal stands only on a fresh read).
        const onB = await ask(b, sessionId, people[0]!, "Which time zone are the session times given in?");
        expect(onB.statusCode, onB.body).toBe(201);
        const onA = await ask(a, sessionId, people[0]!, "Are the workshops included in the ticket price?");
        expect(onA.statusCode, onA.body).toBe(201);
        const copy = await ask(b, sessionId, people[1]!, "Which time zone are the session times given in?");
        expect(copy.statusCode, copy.body).toBe(409);
      }
      const text = "Is the conference app available for Android phones?";
      const [one, two] = await Promise.all([
        ask(a, sessionId, people[1]!, text),
        ask(other, sessionId, people[2]!, text),
      ]);
      const taken = [one!, two!].filter((res) => res.statusCode === 201);
      const refused = [one!, two!].filter((res) => res.statusCode === 409);
      expect(taken).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0]!.json()).toMatchObject({
        code: "DUPLICATE_QUESTION",
        existingQuestionId: (taken[0]!.json() as { id: string }).id,
      });
    },
  );
});
