import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import {
  addToWorkspace,
  createSession,
  signIn,
  type SignedInUser,
  type TestAttendee,
} from "../../../test/helpers/actors.js";
import { listen, until, type ClientSocket } from "../../../test/helpers/sockets.js";
import { sessionMembers } from "../sessions/sessions.table.js";

export interface Question {
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

/**
 * The app, people and requests the question tests share: a presenter (host) with a moderator, sessions with
 * given Q&A settings, and the routes as helpers. Call inside a describe; `ctx` is filled before the tests run.
 */
export function questionsFixture() {
  const ctx = {} as { t: TestApp; url: string; host: SignedInUser; moderator: SignedInUser };
  const open: ClientSocket[] = [];
  beforeAll(async () => {
    const t = (ctx.t = await createTestApp({
      env: {
        RATE_LIMIT_IP_MAX: "100000",
        RATE_LIMIT_ACTOR_MAX: "100000",
        QA_QUESTIONS_PER_MINUTE: "4",
        REALTIME_COALESCE_MS: "50",
      },
    }));
    ctx.url = await listen(t.app);
    ctx.host = await signIn(t.app, t.db.db, "QA Host");
    ctx.moderator = await signIn(t.app, t.db.db, "QA Moderator");
    await addToWorkspace(t.db.db, ctx.host.personalWorkspaceId, ctx.moderator.userId, "member");
  });
  afterEach(() => {
    for (const socket of open.splice(0)) socket.close();
  });
  afterAll(async () => ctx.t?.close());

  const session = async (qa: Record<string, unknown> = {}) => {
    const id = await createSession(ctx.t.db.db, {
      userId: ctx.host.userId,
      workspaceId: ctx.host.personalWorkspaceId,
    });
    await ctx.t.db.pool.query(
      "update sessions set settings = jsonb_build_object('qa', $2::jsonb) where id = $1",
      [id, JSON.stringify(qa)],
    );
    await ctx.t.db.db
      .insert(sessionMembers)
      .values({ sessionId: id, userId: ctx.moderator.userId, role: "moderator" });
    return id;
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const ask = (sessionId: string, who: TestAttendee, payload: object) =>
    ctx.t.app.inject({
      method: "POST",
      url: `/api/sessions/${sessionId}/questions`,
      headers: bearer(who.token),
      payload,
    });
  const vote = (questionId: string, who: TestAttendee, value: number) =>
    ctx.t.app.inject({
      method: "POST",
      url: `/api/questions/${questionId}/vote`,
      headers: bearer(who.token),
      payload: { value },
    });
  const patch = (questionId: string, token: string, payload: object) =>
    ctx.t.app.inject({
      method: "PATCH",
      url: `/api/questions/${questionId}`,
      headers: bearer(token),
      payload,
    });
  const list = async (sessionId: string, token: string, query = "") => {
    const res = await ctx.t.app.inject({
      method: "GET",
      url: `/api/sessions/${sessionId}/questions${query}`,
      headers: bearer(token),
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { items: Question[]; nextCursor: string | null };
  };
  const events = async (sessionId: string, prefix = "question.") =>
    (
      await ctx.t.db.pool.query(
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
  return { ctx, open, session, bearer, ask, vote, patch, list, events, tallyReaches };
}
