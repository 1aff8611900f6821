import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { createAttendee, createSession, signIn, type SignedInUser } from "../../../test/helpers/actors.js";
import { until } from "../../../test/helpers/sockets.js";

/**
 * Tallies under concurrency: every vote acknowledged is counted once, whatever arrives at once, and the tallies
 * on the questions end equal to a count over the votes table.
 */
describe("vote tallies under concurrency", () => {
  let t: TestApp;
  let host: SignedInUser;
  beforeAll(async () => {
    t = await createTestApp({
      env: { RATE_LIMIT_IP_MAX: "1000000", RATE_LIMIT_ACTOR_MAX: "100000", REALTIME_COALESCE_MS: "100" },
    });
    host = await signIn(t.app, t.db.db, "Vote Host");
  });
  afterAll(async () => t?.close());

  async function liveSession(voters: number, qa: Record<string, unknown> = {}) {
    const sessionId = await createSession(t.db.db, {
      userId: host.userId,
      workspaceId: host.personalWorkspaceId,
    });
    await t.db.pool.query(
      "update sessions set capacity = $2, settings = jsonb_build_object('qa', $3::jsonb) where id = $1",
      [sessionId, voters + 10, JSON.stringify(qa)],
    );
    const { rows } = await t.db.pool.query<{ id: string }>(
      "insert into attendees (session_id, display_name) select $1, 'Voter ' || g from generate_series(1, $2) g returning id",
      [sessionId, voters],
    );
    const tokens = await Promise.all(
      rows.map(
        async ({ id }) =>
          (await t.app.authServices.attendeeTokens.issue({ attendeeId: id, sessionId })).token,
      ),
    );
    return { sessionId, tokens };
  }
  const ask = async (sessionId: string, text: string) => {
    const author = await createAttendee(t.app, t.db.db, sessionId, "Author");
    const res = await t.app.inject({
      method: "POST",
      url: `/api/sessions/${sessionId}/questions`,
      headers: { authorization: `Bearer ${author.token}` },
      payload: { text },
    });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { id: string }).id;
  };
  const vote = (questionId: string, token: string, value: number) =>
    t.app.inject({
      method: "POST",
      url: `/api/questions/${questionId}/vote`,
      headers: { authorization: `Bearer ${token}` },
      payload: { value },
    });
  /** Tallies on the question rows beside a count over the votes table. */
  const tallies = async (questionIds: string[]) => {
    const { rows } = await t.db.pool.query(
      `select q.id, q.upvotes, q.downvotes,
              (select count(*)::int from question_votes v where v.question_id = q.id and v.value = 1) as counted_up,
              (select count(*)::int from question_votes v where v.question_id = q.id and v.value = -1) as counted_down
       from questions q where q.id = any($1::uuid[]) order by q.id`,
      [questionIds],
    );
    return rows as Array<{
      id: string;
      upvotes: number;
      downvotes: number;
      counted_up: number;
      counted_down: number;
    }>;
  };
  const settled = (rows: Awaited<ReturnType<typeof tallies>>) =>
    rows.every((r) => r.upvotes === r.counted_up && r.downvotes === r.counted_down);

  it("counts 1,000 simultaneous votes on one question as exactly 1,000", { timeout: 120_000 }, async () => {
    const { sessionId, tokens } = await liveSession(1000);
    const questionId = await ask(sessionId, "Which feature should ship first?");
    const answers = await Promise.all(tokens.map((token) => vote(questionId, token, 1)));
    const statuses: Record<number, number> = {};
    for (const res of answers) statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
    expect(statuses).toEqual({ 200: 1000 });
    await until(
      "the tally reached 1,000",
      async () => (await tallies([questionId]))[0]!.upvotes === 1000,
      20_000,
    );
    expect(await tallies([questionId])).toEqual([
      { id: questionId, upvotes: 1000, downvotes: 0, counted_up: 1000, counted_down: 0 },
    ]);
  });

  it(
    "ends a storm of votes, flips and retractions with tallies equal to the votes table",
    { timeout: 120_000 },
    async () => {
      const { sessionId, tokens } = await liveSession(300, { allowDownvotes: true });
      const questionIds = [
        await ask(sessionId, "First storm question about the API"),
        await ask(sessionId, "Second storm question about pricing"),
        await ask(sessionId, "Third storm question about hiring"),
      ];
      const values = [1, -1, 0, 1, 1, -1, 0];
      // Each voter sends five changes to random questions, all voters at once; the same voter's changes too.
      const answers = await Promise.all(
        tokens.flatMap((token, voter) =>
          Array.from({ length: 5 }, (_, step) =>
            vote(questionIds[(voter + step) % 3]!, token, values[(voter * 7 + step * 3) % values.length]!),
          ),
        ),
      );
      const refused = answers.filter((res) => res.statusCode !== 200).map((res) => res.body);
      expect(refused).toEqual([]);
      await until("tallies equal the votes table", async () => settled(await tallies(questionIds)), 20_000);
      const rows = await tallies(questionIds);
      expect(rows.reduce((sum, r) => sum + r.counted_up + r.counted_down, 0)).toBeGreaterThan(0);
      expect(settled(rows)).toBe(true);
    },
  );
});
