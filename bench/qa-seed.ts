/**
 * The data of the Q&A benchmark (qa-bench.ts). Over Podium's HTTP API, as a person would: a host signs in
 * (development sign-in), creates a session that takes downvotes, starts it, and the measuring attendees join
 * (`POST /api/attendee/join/:sessionId`, which returns each one's token). With set-based SQL, fast: the other
 * attendees (authors and earlier voters; the seat trigger counts them, the session being live with room enough),
 * 600 questions in every state (pinned, answered, pending, dismissed, withdrawn, anonymous) with their votes,
 * tallies and Wilson scores as Podium's recount would write them, the viewer's own votes and pending question,
 * and the empty questions that the vote measurements write to.
 */
import { randomBytes } from "node:crypto";
import type pg from "pg";
import { expectStatus, send, type HttpAnswer } from "./http.js";
import { databaseUrl } from "./podium.js";

export { databaseUrl, send, type HttpAnswer };

/** Questions on the board before any measurement (the issue: 500+). */
export const BOARD_QUESTIONS = 600;
/** Attendees inserted with SQL: the board's authors and earlier voters. */
export const SEED_ATTENDEES = 2_000;
/** Most earlier votes a board question has (the counts are skewed: most questions have few). */
const MAX_SEED_VOTES = 150;

export type ListSort = "top" | "new" | "trending";

const COLUMNS = [
  "id",
  "session_id",
  "author_attendee_id",
  "author_user_id",
  "anonymous",
  "text",
  "status",
  "pinned",
  "answered",
  "answered_at",
  "upvotes",
  "downvotes",
  "score",
  "version",
  "created_at",
  "updated_at",
  "edited_at",
] as const;

/** Podium's sort keys (ranking.ts), with their parameters' numbers counted from `first`. */
function sortKey(sort: ListSort, first: number): string {
  if (sort === "top") return `"questions"."score"`;
  if (sort === "new") return `extract(epoch from "questions"."created_at")`;
  return `("questions"."upvotes" - "questions"."downvotes")::float8 / power(greatest(extract(epoch from ($${first}::timestamptz - "questions"."created_at"))::float8 / 3600, 0) + $${first + 1}, $${first + 2})`;
}

/**
 * The statement Podium's listQuestions sends for an attendee's `status=open` page, byte for byte as drizzle
 * writes it (read off its toSQL()), with its parameters: the baseline sends the same, and EXPLAIN runs it.
 * Columns come back unnamed (drizzle reads rows as arrays): LIST_COLUMNS, then the author's name, the sort key
 * as text and the viewer's vote.
 */
export function listStatement(
  sort: ListSort,
  sessionId: string,
  viewerId: string,
  limit: number,
  asOf: Date,
): { text: string; values: unknown[] } {
  const trending = sort === "trending";
  const keyParams = trending ? [asOf.toISOString(), 2, 1.5] : [];
  let n = keyParams.length;
  const key = sortKey(sort, 1);
  const p = () => `$${++n}`;
  const select = `select ${COLUMNS.map((c) => `"questions"."${c}"`).join(", ")}, (select "attendees"."display_name" from "attendees" where "attendees"."id" = "questions"."author_attendee_id"), (${key})::text, coalesce((select v.value from question_votes v where v.question_id = "questions"."id" and v.voter_id = ${p()}), 0) from "questions"`;
  const where = ` where ("questions"."session_id" = ${p()} and (("questions"."status" in (${p()}) and "questions"."answered" = ${p()}) or ("questions"."author_attendee_id" = ${p()} and "questions"."status" in (${p()}))))`;
  const orderKey = trending ? sortKey(sort, n + 1) : key;
  if (trending) n += 3;
  const order = ` order by case when "questions"."pinned" then 1 else 0 end desc, ${orderKey} desc, "questions"."id" desc limit ${p()}`;
  return {
    text: select + where + order,
    values: [
      ...keyParams,
      viewerId,
      sessionId,
      "visible",
      false,
      viewerId,
      "pending",
      ...keyParams,
      limit + 1,
    ],
  };
}

export const LIST_COLUMNS = COLUMNS;

const json = { "content-type": "application/json" };

export interface QaSession {
  sessionId: string;
  hostToken: string;
  hostUserId: string;
}

/** Development sign-in of the host, then a session (capacity, downvotes on) created and started over HTTP. */
export async function createQaSession(url: string, publicUrl: string, capacity: number): Promise<QaSession> {
  const tag = randomBytes(4).toString("hex");
  const signIn = await expectStatus(
    send(
      `${url}/api/auth/dev/sign-in`,
      "POST",
      { ...json, origin: publicUrl },
      JSON.stringify({ name: "Q&A Bench Host", email: `qa-bench-host-${tag}@example.test` }),
    ),
    200,
    "POST /api/auth/dev/sign-in",
  );
  const hostToken = signIn.headers["set-auth-token"];
  if (typeof hostToken !== "string" || !hostToken) throw new Error("dev sign-in gave no set-auth-token");
  const hostUserId = (JSON.parse(signIn.body) as { user: { id: string } }).user.id;
  const headers = { ...json, authorization: `Bearer ${hostToken}` };
  const created = await expectStatus(
    send(
      `${url}/api/sessions`,
      "POST",
      headers,
      JSON.stringify({ title: `Q&A bench ${tag}`, capacity, settings: { qa: { allowDownvotes: true } } }),
    ),
    201,
    "POST /api/sessions",
  );
  const sessionId = (JSON.parse(created.body) as { id: string }).id;
  await expectStatus(
    send(`${url}/api/sessions/${sessionId}/start`, "POST", headers, "{}"),
    200,
    "POST /api/sessions/:id/start",
  );
  return { sessionId, hostToken, hostUserId };
}

export interface JoinedAttendee {
  id: string;
  token: string;
}

/** `count` attendees join over HTTP, `concurrency` at a time; their ids and tokens, in order. */
export async function joinAttendees(
  url: string,
  sessionId: string,
  count: number,
  namePrefix: string,
  concurrency = 16,
): Promise<JoinedAttendee[]> {
  const joined = new Array<JoinedAttendee>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const answer = await expectStatus(
        send(
          `${url}/api/attendee/join/${sessionId}`,
          "POST",
          json,
          JSON.stringify({ name: `${namePrefix} ${i + 1}` }),
        ),
        201,
        "POST /api/attendee/join/:sessionId",
      );
      const body = JSON.parse(answer.body) as { token: string; attendee: { id: string } };
      joined[i] = { id: body.attendee.id, token: body.token };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return joined;
}

export interface BoardSummary {
  questions: number;
  byState: Record<string, number>;
  pinned: number;
  anonymous: number;
  seedAttendees: number;
  votes: number;
  viewerVotes: number;
  /** Questions an attendee's `status=open` list holds (visible and not answered, plus the viewer's pending one). */
  openForViewer: number;
  insertMs: number;
}

/**
 * The board: SEED_ATTENDEES attendees and BOARD_QUESTIONS questions asked over the last 90 minutes, each with
 * 0–MAX_SEED_VOTES votes (about one in seven a downvote) from attendees other than its author; tallies and the
 * `top` score (Wilson lower bound, as ranking.ts) written from the votes. The viewer has voted on every twelfth
 * question and has one pending question of its own. `emptyQuestions` visible questions with no vote are added
 * for the vote measurements (returned in order).
 */
export async function seedBoard(
  db: pg.Pool,
  sessionId: string,
  viewerId: string,
  emptyQuestions: number,
): Promise<{ summary: BoardSummary; empty: string[] }> {
  const started = performance.now();
  const client = await db.connect();
  try {
    await client.query("begin");
    await client.query(
      `update sessions set started_at = now() - interval '2 hours' where id = $1`, // questions are older than "now"
      [sessionId],
    );
    await client.query(
      `insert into attendees (session_id, display_name, joined_at, last_seen_at)
       select $1, 'Seed attendee ' || n, now() - interval '2 hours' + interval '1 second' * n, now()
       from generate_series(1, ${SEED_ATTENDEES}) as n`,
      [sessionId],
    );
    await client.query(
      `create temporary table qa_seed_attendees on commit drop as
       select id, (row_number() over (order by joined_at, id))::int - 1 as n
       from attendees where session_id = $1 and display_name like 'Seed attendee %'`,
      [sessionId],
    );
    // Question i (1 … BOARD_QUESTIONS), asked 9 s after question i − 1, by seed attendee (i · 7) mod SEED_ATTENDEES.
    await client.query(
      `insert into questions (session_id, author_attendee_id, anonymous, text, status, pinned, answered, answered_at,
                              created_at, updated_at)
       select $1, a.id, i % 9 = 0,
              'Seed question ' || i || ': how does ' ||
                (array['the recount','the keyset cursor','the rate limiter','the seat trigger','the adapter'])[i % 5 + 1] ||
                ' behave when ' || repeat('a great many attendees ', 1 + i % 4) || 'arrive at once?',
              (case when i % 20 = 7 then 'pending' when i % 33 = 5 then 'dismissed'
                    when i % 97 = 3 then 'withdrawn' else 'visible' end)::question_status,
              i in (40, 250, 480) and i % 20 <> 7,
              i % 7 = 2 and i % 20 <> 7,
              case when i % 7 = 2 and i % 20 <> 7 then now() - interval '1 minute' * (i % 50) end,
              now() - interval '90 minutes' + interval '9 seconds' * i,
              now() - interval '90 minutes' + interval '9 seconds' * i
       from generate_series(1, ${BOARD_QUESTIONS}) as i
       join qa_seed_attendees a on a.n = (i * 7) % ${SEED_ATTENDEES}`,
      [sessionId],
    );
    // Votes: question q gets k = MAX · u³ votes (u uniform from its id), from a window of seed attendees that
    // starts at an offset of its own; its author never votes on it.
    await client.query(
      `insert into question_votes (question_id, voter_id, attendee_id, value, created_at, updated_at)
       select q.id, a.id, a.id,
              case when abs(hashtext(q.id::text || a.id::text)) % 7 = 0 then -1 else 1 end,
              q.created_at + interval '1 minute', q.created_at + interval '1 minute'
       from (select id, created_at, author_attendee_id,
                    floor(${MAX_SEED_VOTES} * power((abs(hashtext(id::text)) % 1000) / 1000.0, 3))::int as k,
                    abs(hashtext(id::text || 'offset')) % ${SEED_ATTENDEES} as offset_n
             from questions where session_id = $1) as q
       join qa_seed_attendees a
         on (a.n - q.offset_n + ${SEED_ATTENDEES}) % ${SEED_ATTENDEES} < q.k and a.id <> q.author_attendee_id`,
      [sessionId],
    );
    // The viewer: a vote on every twelfth board question (+1, or −1 on every fifth of those), and one pending question.
    await client.query(
      `insert into question_votes (question_id, voter_id, attendee_id, value)
       select id, $2, $2, case when rn % 60 = 0 then -1 else 1 end
       from (select id, row_number() over (order by created_at, id) as rn from questions where session_id = $1) q
       where rn % 12 = 0`,
      [sessionId, viewerId],
    );
    await client.query(
      `insert into questions (session_id, author_attendee_id, text, status)
       values ($1, $2, 'The viewer''s own question, still waiting for a moderator', 'pending')`,
      [sessionId, viewerId],
    );
    // Tallies and the top score as the recount writes them (ranking.ts wilsonLowerBound, z for 95 %).
    await client.query(
      `update questions q
       set upvotes = t.up, downvotes = t.down,
           score = case when t.up = 0 then 0 else greatest(0,
             ((t.up::float8 / (t.up + t.down)) + 3.841458820694124 / (2.0 * (t.up + t.down))
              - 1.959963984540054 * sqrt(((t.up::float8 / (t.up + t.down)) * (1 - t.up::float8 / (t.up + t.down))
                + 3.841458820694124 / (4.0 * (t.up + t.down))) / (t.up + t.down)))
             / (1 + 3.841458820694124 / (t.up + t.down))) end
       from (select question_id,
                    count(*) filter (where value = 1)::int as up,
                    count(*) filter (where value = -1)::int as down
             from question_votes group by question_id) t
       where q.id = t.question_id and q.session_id = $1`,
      [sessionId],
    );
    const empty = await client.query<{ id: string; created_at: Date }>(
      `insert into questions (session_id, author_attendee_id, text, status, created_at, updated_at)
       select $1, a.id, 'Benchmark target ' || i || ': which of these will you cover first?', 'visible',
              now() - interval '95 minutes' - interval '1 second' * i, now() - interval '95 minutes'
       from generate_series(1, $2::int) as i
       join qa_seed_attendees a on a.n = (i * 13 + 1) % ${SEED_ATTENDEES}
       returning id, created_at`,
      [sessionId, emptyQuestions],
    );
    await client.query("commit");
    for (const table of ["attendees", "questions", "question_votes"]) await client.query(`analyze ${table}`);
    const states = await client.query<{ state: string; n: number; pinned: number; anonymous: number }>(
      `select case when status = 'visible' and answered then 'answered' else status::text end as state,
              count(*)::int as n, count(*) filter (where pinned)::int as pinned,
              count(*) filter (where anonymous)::int as anonymous
       from questions where session_id = $1 and text like 'Seed question %' group by 1`,
      [sessionId],
    );
    const counts = await client.query<{ votes: number; viewer: number; open: number }>(
      `select (select count(*) from question_votes v join questions q on q.id = v.question_id
               where q.session_id = $1)::int as votes,
              (select count(*) from question_votes where voter_id = $2)::int as viewer,
              (select count(*) from questions where session_id = $1
                 and ((status = 'visible' and not answered) or (author_attendee_id = $2 and status = 'pending')))::int
                as open`,
      [sessionId, viewerId],
    );
    const row = counts.rows[0]!;
    return {
      summary: {
        questions: states.rows.reduce((n, r) => n + r.n, 0),
        byState: Object.fromEntries(states.rows.map((r) => [r.state, r.n])),
        pinned: states.rows.reduce((n, r) => n + r.pinned, 0),
        anonymous: states.rows.reduce((n, r) => n + r.anonymous, 0),
        seedAttendees: SEED_ATTENDEES,
        votes: row.votes,
        viewerVotes: row.viewer,
        openForViewer: row.open,
        insertMs: performance.now() - started,
      },
      // In creation order (the insert's RETURNING order is not guaranteed).
      empty: empty.rows.sort((a, b) => b.created_at.getTime() - a.created_at.getTime()).map((r) => r.id),
    };
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Removes the session (its attendees, questions and votes go with it) and the host (on DATABASE_URL). */
export async function removeQaSeed(db: pg.Pool, sessionId: string, hostUserId: string): Promise<void> {
  await db.query(`delete from sessions where id = $1`, [sessionId]);
  await db.query(`delete from workspaces where slug = $1`, [`personal-${hostUserId}`]);
  await db.query(`delete from users where id = $1`, [hostUserId]);
}
