import { and, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { Database, Executor } from "../../db/client.js";
import type { StoredSessionSettings } from "../sessions/sessions.settings.js";
import { sessions } from "../sessions/sessions.table.js";
import { questions } from "./questions.table.js";
import { TRENDING_GRAVITY, TRENDING_OFFSET_HOURS } from "./ranking.js";

export type QuestionRow = typeof questions.$inferSelect;
export type QuestionStatus = QuestionRow["status"];
export type SessionStatus = (typeof sessions.$inferSelect)["status"];

/**
 * How many questions were asked in the session whose id `sessionId` names (a column of the caller's query), as
 * a subquery the caller embeds: a list of sessions gets its counts in its own statement, for the page's rows only.
 */
export function countQuestionsOf(sessionId: SQL): SQL<number> {
  // Aliased: drizzle prints a column without its table when its query has no join, so an unaliased
  // "session_id" = "id" here would compare two columns of questions.
  return sql<number>`(select count(*)::int from questions asked where asked.session_id = ${sessionId})`;
}

/**
 * The columns every reader of a question gets, with its author's display name (the view decides whether to show
 * it). The name is a subquery rather than a join so that PostgreSQL looks it up for the rows of the page only,
 * after sorting and limiting, instead of hashing every attendee of the session first (measured: 4,001 attendee
 * rows read for a page of 50).
 */
const questionColumns = {
  question: questions,
  // Qualified by hand: drizzle prints the columns of a join-less query without their table.
  authorName: sql<
    string | null
  >`(select author.display_name from attendees author where author.id = "questions"."author_attendee_id")`,
};

export async function findQuestion(db: Executor, questionId: string) {
  const [row] = await db
    .select({
      ...questionColumns,
      session: {
        status: sessions.status,
        workspaceId: sessions.workspaceId,
        settings: sessions.settings,
      },
    })
    .from(questions)
    .innerJoin(sessions, eq(sessions.id, questions.sessionId))
    .where(eq(questions.id, questionId))
    .limit(1);
  return row ?? null;
}

/**
 * Inserts a question and appends its `question.created` event in one statement (one round trip, atomic without a
 * transaction), only if the session is still as the decision to take it saw it: at `status` with `settings` (the
 * stored JSON; compared as jsonb) and, when given, at `revision` (its questions' texts and statuses, which the
 * duplicate check compared the new one with). Null: the session changed (or is gone) meanwhile, and nothing was
 * written. Other edits (title, description, schedule) do not stop it: they move the session's version, not what an
 * ask is decided on. The session's row is locked before the check, so of two asks decided on one revision (on two
 * instances) the second waits for the first and then fails its check; without the lock both would pass it. Nothing
 * is written either when the author is no longer seated in the session (banned or removed, perhaps on another
 * instance after this one accepted its token): the fresh read that follows says so (`authorSeated`). The seat is
 * read on the statement's snapshot, so a ban that commits while the insert waits for the session's row lets this one
 * question in, ordered before the ban (a ban does not touch its author's questions), as if it had committed a moment
 * later; locking the author's row instead would make every ask wait for its author's presence changes.
 */
export async function insertQuestionIfUnchanged(
  db: Database,
  values: {
    id: string;
    sessionId: string;
    authorAttendeeId: string;
    text: string;
    anonymous: boolean;
    status: QuestionStatus;
  },
  seen: { status: SessionStatus; settings: string; revision: number | null },
  eventPayload: Record<string, unknown>,
): Promise<{ row: QuestionRow; authorName: string | null } | null> {
  // A named (prepared) statement with a fixed text, mapped by hand: no query building on the hot path.
  const { rows } = await db.$client.query<QuestionRecord & { author_name: string | null }>({
    name: "questions.ask_insert",
    text: ASK_INSERT,
    values: [
      values.id,
      values.sessionId,
      values.authorAttendeeId,
      values.text,
      values.anonymous,
      values.status,
      seen.status,
      seen.settings,
      seen.revision,
      JSON.stringify(eventPayload),
    ],
  });
  const row = rows[0];
  return row ? { row: toQuestionRow(row), authorName: row.author_name } : null;
}

/**
 * $1 id, $2 session, $3 author (attendee), $4 text, $5 anonymous, $6 status, $7 session status, $8 session settings,
 * $9 questions revision (null: not checked), $10 event payload.
 */
const ASK_INSERT = `
  with author as (
    select a.display_name from attendees a
    where a.id = $3::uuid and a.session_id = $2::uuid and a.banned_at is null and a.removed_at is null
  ), asked as (
    insert into questions (id, session_id, author_attendee_id, text, anonymous, status)
    select $1::uuid, s.id, $3::uuid, $4::text, $5::boolean, $6::question_status
    from sessions s
    where s.id = $2::uuid and s.status = $7::session_status and s.settings = $8::jsonb
      and ($9::int is null or s.questions_revision = $9::int) and exists (select from author)
    for no key update of s
    returning *
  ), logged as (
    insert into session_events (session_id, type, actor_type, actor_id, payload)
    select asked.session_id, 'question.created', 'attendee', $3::uuid, $10::jsonb from asked
  )
  select asked.*, (select display_name from author) as author_name from asked`;

/** A questions row as PostgreSQL names its columns. */
interface QuestionRecord {
  id: string;
  session_id: string;
  author_attendee_id: string | null;
  author_user_id: string | null;
  anonymous: boolean;
  text: string;
  status: QuestionStatus;
  pinned: boolean;
  answered: boolean;
  answered_at: Date | null;
  upvotes: number;
  downvotes: number;
  score: number;
  version: number;
  created_at: Date;
  updated_at: Date;
  edited_at: Date | null;
}

function toQuestionRow(r: QuestionRecord): QuestionRow {
  return {
    id: r.id,
    sessionId: r.session_id,
    authorAttendeeId: r.author_attendee_id,
    authorUserId: r.author_user_id,
    anonymous: r.anonymous,
    text: r.text,
    status: r.status,
    pinned: r.pinned,
    answered: r.answered,
    answeredAt: r.answered_at,
    upvotes: r.upvotes,
    downvotes: r.downvotes,
    score: r.score,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    editedAt: r.edited_at,
  };
}

export interface AskContext {
  /**
   * The session's status and settings; its recent questions for duplicate detection (pending and visible, the
   * newest first) at `revision` of its questions.
   */
  session: {
    status: SessionStatus;
    settings: StoredSessionSettings;
    /** The settings as stored (JSON text): an ask is written only while they are still these. */
    storedSettings: string;
    revision: number;
    recent: Array<{ id: string; text: string }>;
  } | null;
  /** The asking attendee is still seated in the session (not banned or removed). */
  authorSeated: boolean;
}

/**
 * What deciding on a new question needs, in one statement: the session's state and settings, its recent
 * questions, with the revision they were read at. Reads the sessions table directly, as
 * `findQuestion` does: asking is the hot path of a live session.
 */
export async function readAskContext(
  db: Database,
  sessionId: string,
  recentLimit: number,
  authorAttendeeId: string,
): Promise<AskContext> {
  // A named (prepared) statement, as the vote: planned once per connection.
  const { rows } = await db.$client.query<{
    status: SessionStatus;
    settings: string;
    questions_revision: number;
    recent: Array<{ id: string; text: string }>;
    author_seated: boolean;
  }>({
    name: "questions.ask_context",
    text: ASK_CONTEXT,
    values: [sessionId, recentLimit, authorAttendeeId],
  });
  const row = rows[0];
  if (!row) return { session: null, authorSeated: false };
  return {
    authorSeated: row.author_seated,
    session: {
      status: row.status,
      settings: JSON.parse(row.settings) as StoredSessionSettings,
      storedSettings: row.settings,
      revision: row.questions_revision,
      recent: row.recent,
    },
  };
}

/**
 * $1 session, $2 how many recent questions, $3 the asking attendee. One snapshot: the questions are those of this
 * revision.
 */
const ASK_CONTEXT = `
  select s.status, s.settings::text as settings, s.questions_revision,
    exists (
      select from attendees a
      where a.id = $3::uuid and a.session_id = s.id and a.banned_at is null and a.removed_at is null
    ) as author_seated,
    coalesce((
      select json_agg(json_build_object('id', r.id, 'text', r.text) order by r.created_at desc)
      from (
        select q.id, q.text, q.created_at from questions q
        where q.session_id = s.id and q.status in ('pending', 'visible')
        order by q.created_at desc limit $2::int
      ) r
    ), '[]'::json) as recent
  from sessions s where s.id = $1::uuid`;

/** Applies a change and bumps the version, so clients drop what is older. */
export async function updateQuestion(
  db: Executor,
  questionId: string,
  change: Partial<Pick<QuestionRow, "text" | "status" | "pinned" | "answered" | "answeredAt" | "editedAt">>,
): Promise<QuestionRow> {
  const [row] = await db
    .update(questions)
    .set({ ...change, version: sql`${questions.version} + 1`, updatedAt: new Date() })
    .where(eq(questions.id, questionId))
    .returning();
  return row!;
}

export async function deleteQuestion(db: Executor, questionId: string): Promise<boolean> {
  const deleted = await db
    .delete(questions)
    .where(eq(questions.id, questionId))
    .returning({ id: questions.id });
  return deleted.length > 0;
}

export type ListSort = "top" | "new" | "trending";

export interface ListQuery {
  sessionId: string;
  sort: ListSort;
  /** Statuses to list; `answered` narrows visible questions to answered (true) or open (false). */
  statuses: QuestionStatus[];
  answered?: boolean;
  /** An attendee also sees its own questions in these statuses (its pending ones). */
  includeOwn?: { attendeeId: string; statuses: QuestionStatus[] };
  /** The viewer, for `myVote` and `mine`. */
  viewerAttendeeId: string | null;
  /** The time trending scores are computed at (fixed for all pages of one listing). */
  asOf: Date;
  /** The last row of the previous page: whether it was pinned, its sort key (as the database printed it), its id. */
  after?: { pinned: boolean; key: string; id: string };
  limit: number;
}

/**
 * One page of a session's questions, pinned first, in the requested order, with the viewer's vote, in one
 * query. The sort key is returned as text (`sortKey`), exactly as the database prints it, for the keyset cursor:
 * `top` and `trending` keys are float8 (printed exactly), `new` is the creation time in epoch seconds as numeric
 * (microseconds kept).
 */
export function listQuestions(db: Executor, query: ListQuery) {
  const key =
    query.sort === "top"
      ? sql`${questions.score}`
      : query.sort === "new"
        ? sql`extract(epoch from ${questions.createdAt})`
        : // ranking.ts trendingScore, at the listing's fixed time.
          sql`(${questions.upvotes} - ${questions.downvotes})::float8 / power(greatest(extract(epoch from (${query.asOf.toISOString()}::timestamptz - ${questions.createdAt}))::float8 / 3600, 0) + ${TRENDING_OFFSET_HOURS}, ${TRENDING_GRAVITY})`;
  const keyType = sql.raw(query.sort === "new" ? "numeric" : "float8");
  const pinnedFirst = sql<number>`case when ${questions.pinned} then 1 else 0 end`;
  const visibleTo = [inArray(questions.status, query.statuses)];
  if (query.answered !== undefined) visibleTo.push(eq(questions.answered, query.answered));
  const conditions = [
    eq(questions.sessionId, query.sessionId),
    query.includeOwn
      ? sql`(${and(...visibleTo)} or (${questions.authorAttendeeId} = ${query.includeOwn.attendeeId} and ${inArray(questions.status, query.includeOwn.statuses)}))`
      : and(...visibleTo)!,
  ];
  if (query.after) {
    // Keyset over (pinned first, key descending, id): a page starts strictly after the cursor's row.
    conditions.push(
      sql`(${pinnedFirst}, ${key}, ${questions.id}) < (${query.after.pinned ? 1 : 0}, ${query.after.key}::${keyType}, ${query.after.id}::uuid)`,
    );
  }
  const myVote = query.viewerAttendeeId
    ? sql<number>`coalesce((select v.value from question_votes v where v.question_id = ${questions.id} and v.voter_id = ${query.viewerAttendeeId}), 0)`
    : sql<number>`0`;
  return db
    .select({
      ...questionColumns,
      sortKey: sql<string>`(${key})::text`,
      myVote,
    })
    .from(questions)
    .where(and(...conditions))
    .orderBy(sql`${pinnedFirst} desc`, sql`${key} desc`, desc(questions.id))
    .limit(query.limit + 1);
}
