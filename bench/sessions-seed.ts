/**
 * The data of the sessions benchmark (sessions-bench.ts): presenters signed in over HTTP (the development
 * sign-in, so better-auth and our user.create hook make the user, its personal workspace, the membership and
 * the auth session exactly as for a person), then 10,000 sessions with attendees, questions and co-host grants
 * inserted with a few set-based SQL statements. Seats are counted by the app's own trigger: attendees are
 * inserted present while their session is live, and those of sessions that then end or go back to the
 * waiting room leave first, so attendees_present and attendees_peak are what the trigger made them.
 */
import { randomBytes } from "node:crypto";
import type pg from "pg";
import { send, type HttpAnswer } from "./http.js";
import { databaseUrl } from "./podium.js";

export { databaseUrl, send, type HttpAnswer };

export const PRESENTERS = 100;
export const SESSIONS_PER_PRESENTER = 100;
/** Each presenter is co-host of this many sessions of the next presenter (so the list's third branch matches). */
export const CO_HOST_GRANTS = 2;
/** The schema of the baseline's own tables (copies of sessions and attendees, without the seat trigger). */
export const BASELINE_SCHEMA = "podium_bench_baseline";

export interface Presenter {
  index: number;
  userId: string;
  workspaceId: string;
  token: string;
}

export interface SeedSummary {
  presenters: number;
  sessions: number;
  byStatus: Record<string, number>;
  attendees: number;
  attendeesPresent: number;
  questions: number;
  coHostGrants: number;
  /** Sign-in of every presenter over HTTP (users, personal workspaces, auth sessions). */
  signInMs: number;
  /** The SQL inserts, trigger work and ANALYZE. */
  insertMs: number;
}

/** A tag for this run's rows: emails and join codes stay unique on a database used before (DATABASE_URL). */
export function runTag(): string {
  const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ";
  return Array.from(randomBytes(3), (b) => letters[b % letters.length]).join("");
}

/** Development sign-in (`POST /api/auth/dev/sign-in`); the bearer token is `set-auth-token`. */
export async function signInPresenter(
  baseUrl: string,
  publicUrl: string,
  db: pg.Pool,
  index: number,
  name: string,
  email: string,
): Promise<Presenter> {
  const answer = await send(
    `${baseUrl}/api/auth/dev/sign-in`,
    "POST",
    { "content-type": "application/json", origin: publicUrl },
    JSON.stringify({ name, email }),
  );
  const token = answer.headers["set-auth-token"];
  if (answer.status !== 200 || typeof token !== "string" || !token) {
    throw new Error(
      `dev sign-in of ${email} answered ${answer.status} without set-auth-token: ${answer.body.slice(0, 300)}`,
    );
  }
  const userId = (JSON.parse(answer.body) as { user: { id: string } }).user.id;
  const { rows } = await db.query<{ organization_id: string }>(
    `select m.organization_id from workspace_members m join workspaces w on w.id = m.organization_id
     where m.user_id = $1 and m.role = 'owner' and w.slug = 'personal-' || $1::text`,
    [userId],
  );
  const workspaceId = rows[0]?.organization_id;
  if (!workspaceId) throw new Error(`no personal workspace for ${email} after sign-in (user.create hook?)`);
  return { index, userId, workspaceId, token };
}

export async function signInPresenters(
  baseUrl: string,
  publicUrl: string,
  db: pg.Pool,
  tag: string,
): Promise<Presenter[]> {
  const presenters: Presenter[] = [];
  for (let i = 0; i < PRESENTERS; i++) {
    const n = String(i + 1).padStart(3, "0");
    const email = `bench.presenter.${n}.${tag.toLowerCase()}@example.test`;
    presenters.push(await signInPresenter(baseUrl, publicUrl, db, i, `Bench Presenter ${n}`, email));
  }
  return presenters;
}

/**
 * 10,000 sessions, created over the last year (one every 53 minutes) with the presenters interleaved in time: per presenter
 * 5 % live, 10 % scheduled, 5 % draft, 80 % ended. Attendees: 0–10 per session except drafts (about 47,000);
 * about a third of them asked one question (a tenth of those pending). Returns what is in the database.
 */
export async function seedSessions(db: pg.Pool, presenters: Presenter[], tag: string): Promise<SeedSummary> {
  const started = performance.now();
  const client = await db.connect();
  try {
    await client.query("begin");
    // Every session starts live (started_at set), so the seat trigger accepts its attendees.
    await client.query(
      `insert into sessions (workspace_id, owner_id, title, description, status, join_code, capacity, settings,
                             started_at, created_at, updated_at)
       select p.workspace_id, p.user_id,
              'Bench talk ' || p.idx || '-' || g.n,
              case when g.n % 3 = 0 then 'What we learned running talk ' || g.n || ' in production' end,
              'live', $3 || lpad(((p.idx - 1) * 100 + g.n)::text, 7, '0'), 500,
              case when g.n % 4 = 0
                   then '{"qa":{"moderation":"pre","allowDownvotes":true},"media":{"maxBitrateKbps":1500}}'::jsonb
                   else '{}'::jsonb end,
              at.created + interval '10 minutes', at.created, at.created + interval '5 minutes'
       from unnest($1::uuid[], $2::uuid[]) with ordinality as p(user_id, workspace_id, idx)
       cross join generate_series(1, ${SESSIONS_PER_PRESENTER}) as g(n)
       cross join lateral (
         select now() - interval '53 minutes' * ((${SESSIONS_PER_PRESENTER} - g.n) * ${PRESENTERS} + p.idx) as created
       ) as at`,
      [presenters.map((p) => p.userId), presenters.map((p) => p.workspaceId), tag],
    );
    const ours = `join_code like '${tag}%'`;
    // Seen just now: the presence sweeper (grace raised to 24 h for the run) must leave present attendees
    // alone, or the list's summaries would change while it is measured.
    await client.query(
      `insert into attendees (session_id, display_name, joined_at, last_seen_at)
       select s.id, 'Guest ' || k, s.started_at + interval '1 minute' * k, now()
       from sessions s
       cross join lateral generate_series(1, abs(hashtext(s.id::text)) % 11) as k
       where s.${ours} and right(s.join_code, 2)::int % 20 <> 3`,
    );
    await client.query(
      `insert into questions (session_id, author_attendee_id, text, status, created_at, updated_at)
       select a.session_id, a.id, 'Question from ' || a.display_name || ': how does this scale?',
              (case when abs(hashtext(a.id::text)) % 10 = 0 then 'pending' else 'visible' end)::question_status,
              a.joined_at + interval '5 minutes', a.joined_at + interval '5 minutes'
       from attendees a join sessions s on s.id = a.session_id
       where s.${ours} and abs(hashtext(a.id::text)) % 3 = 0`,
    );
    // Final statuses: the attendees of sessions about to end leave first; those of scheduled ones stay (the
    // waiting room), as do those of live ones.
    await client.query(
      `update attendees a set status = 'left', left_at = a.joined_at + interval '40 minutes'
       from sessions s
       where s.id = a.session_id and s.${ours} and right(s.join_code, 2)::int % 20 not in (0, 1, 2)`,
    );
    await client.query(
      `update sessions set
         status = (case when right(join_code, 2)::int % 20 = 0 then 'live'
                        when right(join_code, 2)::int % 20 in (1, 2) then 'scheduled'
                        when right(join_code, 2)::int % 20 = 3 then 'draft'
                        else 'ended' end)::session_status,
         started_at = case when right(join_code, 2)::int % 20 in (1, 2, 3) then null else started_at end,
         scheduled_at = case when right(join_code, 2)::int % 20 in (1, 2)
                             then now() + interval '1 day' * (right(join_code, 3)::int % 60 + 1) end,
         ended_at = case when right(join_code, 2)::int % 20 > 3 then started_at + interval '45 minutes' end
       where ${ours}`,
    );
    await client.query(
      `insert into session_members (session_id, user_id, role, granted_by)
       select s.id, p.user_id, 'co_host', s.owner_id
       from unnest($1::uuid[], $2::uuid[]) as p(user_id, next_owner)
       join sessions s on s.owner_id = p.next_owner and s.${ours}
       where right(s.join_code, 2)::int in (7, 57)`,
      [
        presenters.map((p) => p.userId),
        presenters.map((_, i) => presenters[(i + 1) % presenters.length]!.userId),
      ],
    );
    await client.query("commit");
    for (const table of [
      "sessions",
      "attendees",
      "questions",
      "session_members",
      "workspace_members",
      "users",
    ])
      await client.query(`analyze ${table}`);
    const counts = await client.query<{
      status: string;
      sessions: string;
      attendees: string;
      present: string;
      questions: string;
    }>(
      `select s.status, count(*) as sessions,
              coalesce(sum((select count(*) from attendees a where a.session_id = s.id)), 0) as attendees,
              coalesce(sum(s.attendees_present), 0) as present,
              coalesce(sum((select count(*) from questions q where q.session_id = s.id)), 0) as questions
       from sessions s where s.${ours} group by s.status`,
    );
    const grants = await client.query<{ n: string }>(
      `select count(*) as n from session_members m join sessions s on s.id = m.session_id where s.${ours}`,
    );
    const sum = (key: "sessions" | "attendees" | "present" | "questions") =>
      counts.rows.reduce((total, row) => total + Number(row[key]), 0);
    return {
      presenters: presenters.length,
      sessions: sum("sessions"),
      byStatus: Object.fromEntries(counts.rows.map((row) => [row.status, Number(row.sessions)])),
      attendees: sum("attendees"),
      attendeesPresent: sum("present"),
      questions: sum("questions"),
      coHostGrants: Number(grants.rows[0]?.n ?? 0),
      signInMs: 0,
      insertMs: performance.now() - started,
    };
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The baseline's tables: copies of sessions and attendees (columns, defaults, checks, indexes), no trigger. */
export async function createBaselineTables(db: pg.Pool): Promise<void> {
  await db.query(`drop schema if exists ${BASELINE_SCHEMA} cascade`);
  await db.query(`create schema ${BASELINE_SCHEMA}`);
  await db.query(
    `create table ${BASELINE_SCHEMA}.sessions (like public.sessions including defaults including constraints including indexes)`,
  );
  await db.query(
    `create table ${BASELINE_SCHEMA}.attendees (like public.attendees including defaults including constraints including indexes)`,
  );
  await db.query(
    `alter table ${BASELINE_SCHEMA}.attendees add foreign key (session_id)
     references ${BASELINE_SCHEMA}.sessions (id) on delete cascade`,
  );
}

/** A live session of the baseline's own, copied from a real one (same workspace and owner). */
export async function createBaselineSession(db: pg.Pool, capacity: number, tag: string, round: number) {
  const { rows } = await db.query<{ id: string }>(
    `insert into ${BASELINE_SCHEMA}.sessions (workspace_id, owner_id, title, status, join_code, capacity, started_at)
     select workspace_id, owner_id, 'Baseline join storm ' || $3::int, 'live', $2, $1, now()
     from sessions limit 1
     returning id`,
    [capacity, `${tag}S${String(round).padStart(4, "0")}`, round],
  );
  if (!rows[0]) throw new Error("no session to copy the baseline's owner and workspace from");
  return rows[0].id;
}

/** Removes what the benchmark wrote (on DATABASE_URL; an embedded cluster is deleted whole). */
export async function removeSeed(db: pg.Pool, userIds: string[]): Promise<void> {
  await db.query(`drop schema if exists ${BASELINE_SCHEMA} cascade`);
  if (userIds.length === 0) return;
  await db.query(`delete from workspaces where slug = any($1::text[])`, [
    userIds.map((id) => `personal-${id}`),
  ]);
  await db.query(`delete from users where id = any($1::uuid[])`, [userIds]);
}

/**
 * The list statement Podium's repository issues (sessions.repository.ts, listVisibleSessions), by hand: one
 * keyset branch per way of seeing a session, each stopping after a page. $1 user, $2 page size + 1,
 * $3/$4 the cursor's created_at and id; each row with its count of questions asked. The baseline answers with it and the EXPLAIN section shows its plan.
 */
export const LIST_SQL = (withCursor: boolean) => {
  const keyset = withCursor ? "and (s.created_at, s.id) < ($3::timestamptz, $4::uuid)" : "";
  const page = "order by s.created_at desc, s.id desc limit $2";
  return `
  select s.*, s.created_at::text as cursor_at,
    (select count(*)::int from questions q where q.session_id = s.id) as questions
  from sessions s
  where s.id in (
    (select s.id from sessions s where s.owner_id = $1::uuid ${keyset} ${page})
    union
    (select p.id from workspace_members m cross join lateral (
       select s.id from sessions s where s.workspace_id = m.organization_id ${keyset} ${page}) p
     where m.user_id = $1::uuid)
    union
    (select s.id from sessions s
     where s.id in (select session_id from session_members where user_id = $1::uuid) ${keyset} ${page}))
  order by s.created_at desc, s.id desc
  limit $2`;
};
