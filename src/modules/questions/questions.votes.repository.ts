import { inArray, sql } from "drizzle-orm";
import type { Database, Executor } from "../../db/client.js";
import type { QuestionStatus, SessionStatus } from "./questions.repository.js";
import { questions } from "./questions.table.js";

// Votes and their tallies: the one-statement vote, and the recount that turns vote rows into question tallies.

/** What decides whether a vote on a question is taken: the question and its session as the vote saw them. */
export interface VoteTarget {
  sessionId: string;
  status: QuestionStatus;
  authorAttendeeId: string | null;
  sessionStatus: SessionStatus;
  allowDownvotes: boolean;
  /** The voter is still seated in its session (not banned or removed, perhaps on another instance). */
  voterSeated: boolean;
}

/**
 * Casts (±1) or retracts (0) an attendee's vote in one statement, idempotently, and only when it may be taken:
 * the question is on the board of the attendee's own session, the session is live, the voter is still seated in it
 * (not banned or removed), is not its author, and a downvote is allowed by the session's settings. Returns the question and session as the statement saw
 * them (null: no such question), so the caller can say why a vote was not taken with the same facts; nothing is
 * written then. A retry of the same vote writes nothing either.
 */
export async function castVoteIfAllowed(
  db: Database,
  vote: {
    questionId: string;
    sessionId: string;
    attendeeId: string;
    value: -1 | 0 | 1;
    /** The settings' default, for sessions whose stored settings predate the field. */
    downvotesByDefault: boolean;
  },
): Promise<VoteTarget | null> {
  // A named (prepared) statement: the busiest statement of a live session is parsed and planned once per
  // connection, not once per vote. Parameters are typed in the text, so one plan serves every vote.
  const { rows } = await db.$client.query<{
    session_id: string;
    status: QuestionStatus;
    author_attendee_id: string | null;
    session_status: SessionStatus;
    allow_downvotes: boolean;
    voter_seated: boolean;
  }>({
    name: "questions.cast_vote",
    text: CAST_VOTE,
    values: [vote.questionId, vote.sessionId, vote.attendeeId, vote.value, vote.downvotesByDefault],
  });
  const row = rows[0];
  if (!row) return null;
  return {
    sessionId: row.session_id,
    status: row.status,
    authorAttendeeId: row.author_attendee_id,
    sessionStatus: row.session_status,
    allowDownvotes: row.allow_downvotes,
    voterSeated: row.voter_seated,
  };
}

/** $1 question, $2 the voter's session, $3 the voter (attendee), $4 the value, $5 downvotes allowed by default. */
const CAST_VOTE = `
  with target as (
    select q.id, q.session_id, q.status, q.author_attendee_id, s.status as session_status,
      coalesce((s.settings #>> '{qa,allowDownvotes}')::boolean, $5::boolean) as allow_downvotes,
      exists (
        select from attendees a
        where a.id = $3::uuid and a.session_id = $2::uuid and a.banned_at is null and a.removed_at is null
      ) as voter_seated
    from questions q join sessions s on s.id = q.session_id
    where q.id = $1::uuid
  ), allowed as (
    select id from target
    where session_id = $2::uuid and status = 'visible' and session_status = 'live' and voter_seated
      and author_attendee_id is distinct from $3::uuid
      and ($4::int <> -1 or allow_downvotes)
  ), cast_vote as (
    insert into question_votes (question_id, voter_id, attendee_id, value)
    select id, $3::uuid, $3::uuid, $4::smallint from allowed where $4::int <> 0
    on conflict (question_id, voter_id) do update set value = excluded.value, updated_at = now()
      -- A retry of the same vote changes nothing (no new row version, no tally work).
      where question_votes.value <> excluded.value
    returning 1
  ), retracted as (
    delete from question_votes v using allowed
    where $4::int = 0 and v.question_id = allowed.id and v.voter_id = $3::uuid
    returning 1
  )
  select session_id, status, author_attendee_id, session_status, allow_downvotes, voter_seated from target`;

export interface Tally {
  questionId: string;
  sessionId: string;
  upvotes: number;
  downvotes: number;
}

/**
 * Locks these questions (in id order, so concurrent recounts cannot deadlock) and counts their votes. The count
 * runs after the locks are held, so it sees every vote committed before any other recount of the same question
 * finished: a later recount can never write an older count.
 */
export async function lockAndCountVotes(db: Executor, questionIds: string[]): Promise<Tally[]> {
  if (questionIds.length === 0) return [];
  await db
    .select({ id: questions.id })
    .from(questions)
    .where(inArray(questions.id, questionIds))
    .orderBy(questions.id)
    // Not FOR UPDATE: that would also block every vote's foreign-key check (FOR KEY SHARE) on the question.
    .for("no key update");
  const { rows } = await db.execute<{
    question_id: string;
    session_id: string;
    up: number;
    down: number;
  }>(sql`
    select q.id as question_id, q.session_id,
           count(v.value) filter (where v.value = 1)::int as up,
           count(v.value) filter (where v.value = -1)::int as down
    from questions q left join question_votes v on v.question_id = q.id
    where q.id in (${sql.join(
      questionIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    )})
    group by q.id, q.session_id`);
  return rows.map((r) => ({
    questionId: r.question_id,
    sessionId: r.session_id,
    upvotes: r.up,
    downvotes: r.down,
  }));
}

/** Writes recounted tallies and scores where they changed; returns the questions written, with their versions. */
export async function writeTallies(
  db: Executor,
  tallies: Array<Tally & { score: number }>,
): Promise<Array<Tally & { score: number; version: number }>> {
  if (tallies.length === 0) return [];
  const values = sql.join(
    tallies.map(
      (t) => sql`(${t.questionId}::uuid, ${t.upvotes}::int, ${t.downvotes}::int, ${t.score}::float8)`,
    ),
    sql`, `,
  );
  const { rows } = await db.execute<{
    id: string;
    session_id: string;
    upvotes: number;
    downvotes: number;
    score: number;
    version: number;
  }>(sql`
    update questions q
    set upvotes = t.up, downvotes = t.down, score = t.score, version = q.version + 1, updated_at = now()
    from (values ${values}) as t(id, up, down, score)
    where q.id = t.id and (q.upvotes, q.downvotes) is distinct from (t.up, t.down)
    returning q.id, q.session_id, q.upvotes, q.downvotes, q.score, q.version`);
  return rows.map((r) => ({
    questionId: r.id,
    sessionId: r.session_id,
    upvotes: r.upvotes,
    downvotes: r.downvotes,
    score: r.score,
    version: r.version,
  }));
}
