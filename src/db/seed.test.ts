import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SEEDED_TABLES as TABLES,
  createTestDatabase,
  type TestDatabase,
} from "../../test/helpers/database.js";
import { seed, type SeedSummary } from "./seed.js";
import { ENDED_SESSION_ID, LIVE_SESSION_ID, MODERATOR_ID, PRESENTER_ID } from "./seed-data.js";

async function snapshot(t: TestDatabase) {
  const tables: Record<string, unknown[]> = {};
  // Every table's first two columns identify its rows, so this order is total and stable.
  for (const table of TABLES)
    tables[table] = (await t.pool.query(`select * from ${table} order by 1, 2`)).rows;
  return tables;
}

describe("seed", () => {
  let t: TestDatabase;
  let summary: SeedSummary;
  beforeAll(async () => {
    t = await createTestDatabase();
    summary = await seed(t.db);
  });
  afterAll(async () => t?.drop());

  it("reports what each table holds", async () => {
    expect(summary).toEqual({
      users: 2,
      workspaces: 1,
      workspaceMembers: 1,
      sessions: 4,
      sessionMembers: 1,
      attendees: 15,
      questions: 13,
      questionVotes: 29,
      sessionEvents: summary.sessionEvents,
      sessionAnalytics: 2,
    });
    const { rows } = await t.pool.query("select count(*)::int as n from session_events");
    expect(summary.sessionEvents).toBe(rows[0].n);
    expect(summary.sessionEvents).toBeGreaterThan(50);
  });

  it("creates a verified presenter with a personal workspace and a moderator on the live session", async () => {
    const { rows: people } = await t.pool.query(
      "select id, role, email_verified from users where id = any($1) order by email",
      [[PRESENTER_ID, MODERATOR_ID]],
    );
    expect(people).toEqual([
      { id: PRESENTER_ID, role: "presenter", email_verified: true },
      { id: MODERATOR_ID, role: "presenter", email_verified: true },
    ]);
    const { rows: owners } = await t.pool.query(
      "select w.slug from workspace_members m join workspaces w on w.id = m.organization_id where m.user_id = $1 and m.role = 'owner'",
      [PRESENTER_ID],
    );
    expect(owners).toEqual([{ slug: "ada-presenter" }]);
    const { rows: members } = await t.pool.query("select session_id, user_id, role from session_members");
    expect(members).toEqual([{ session_id: LIVE_SESSION_ID, user_id: MODERATOR_ID, role: "moderator" }]);
  });

  it("has a session in every state, with valid join codes and lifecycle times", async () => {
    const { rows } = await t.pool.query(
      "select status, join_code, scheduled_at, started_at, ended_at, settings from sessions order by created_at",
    );
    expect(rows.map((r) => r.status).sort()).toEqual(["draft", "ended", "live", "scheduled"]);
    for (const row of rows) expect(row.join_code).toMatch(/^[A-Z0-9]{4,12}$/);
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, r]));
    expect(byStatus.scheduled.scheduled_at.getTime()).toBeGreaterThan(Date.now());
    expect(byStatus.live.started_at).toBeInstanceOf(Date);
    expect(byStatus.live.ended_at).toBeNull();
    expect(byStatus.ended.ended_at.getTime()).toBeGreaterThan(byStatus.ended.started_at.getTime());
    expect(byStatus.live.settings.qa.moderation).toBe("pre");
    expect(byStatus.ended.settings.qa.allowDownvotes).toBe(true);
    const active = rows.filter((r) => r.status !== "ended").map((r) => r.join_code);
    expect(new Set(active).size).toBe(active.length);
  });

  it("keeps every question's tallies equal to its votes", async () => {
    const { rows } = await t.pool.query(`
      select q.id, q.upvotes, q.downvotes,
             count(v.*) filter (where v.value = 1)::int as up,
             count(v.*) filter (where v.value = -1)::int as down
      from questions q left join question_votes v on v.question_id = q.id
      group by q.id`);
    expect(rows).toHaveLength(13);
    for (const row of rows) expect([row.upvotes, row.downvotes]).toEqual([row.up, row.down]);
    expect(rows.some((row) => row.downvotes > 0)).toBe(true);
  });

  it("casts votes only from present attendees of the same session, downvotes only where allowed", async () => {
    const { rows } = await t.pool.query(`
      select count(*)::int as bad
      from question_votes v
      join questions q on q.id = v.question_id
      join sessions s on s.id = q.session_id
      join attendees a on a.id = v.attendee_id
      where a.session_id <> q.session_id
         or v.attendee_id = q.author_attendee_id
         or v.created_at < greatest(a.joined_at, q.created_at)
         or v.created_at > coalesce(a.left_at, case when a.status = 'disconnected' then a.last_seen_at end, s.ended_at, now())
         or (v.value = -1 and not (s.settings -> 'qa' ->> 'allowDownvotes')::boolean)`);
    expect(rows[0].bad).toBe(0);
  });

  it("keeps attendees' times consistent with their status", async () => {
    const { rows } = await t.pool.query(`
      select count(*)::int as bad from attendees a join sessions s on s.id = a.session_id
      where (a.status = 'left') <> (a.left_at is not null)
         or a.last_seen_at < a.joined_at
         or (s.status = 'ended' and a.status in ('connected', 'reconnecting'))
         or (s.status = 'ended' and a.last_seen_at > s.ended_at)`);
    expect(rows[0].bad).toBe(0);
  });

  it("writes analytics that agree with the rows", async () => {
    const { rows } = await t.pool.query(`
      select a.*,
        (select count(*)::int from attendees where session_id = a.session_id) as attendees,
        (select count(*)::int from questions where session_id = a.session_id) as asked,
        (select count(*)::int from questions where session_id = a.session_id and answered) as answered,
        (select count(*)::int from question_votes v join questions q on q.id = v.question_id
          where q.session_id = a.session_id) as votes,
        (select count(*)::int from session_events
          where session_id = a.session_id and type = 'vote.cast') as vote_events
      from session_analytics a`);
    expect(rows).toHaveLength(2);
    const ended = rows.find((row) => row.session_id === ENDED_SESSION_ID);
    expect([ended.total_attendees, ended.peak_attendees]).toEqual([7, 6]);
    for (const row of rows) {
      expect(row.total_attendees).toBe(row.attendees);
      expect(row.questions_asked).toBe(row.asked);
      expect(row.questions_answered).toBe(row.answered);
      expect(row.votes_cast).toBe(row.votes);
      expect(row.vote_events).toBe(row.votes);
      expect(row.peak_attendees).toBeGreaterThan(0);
      expect(row.peak_attendees).toBeLessThanOrEqual(row.attendees);
      expect(Number(row.attendee_seconds)).toBeGreaterThan(0);
    }
  });

  it("logs what happened, in order, with actors", async () => {
    const { rows } = await t.pool.query(
      "select type, actor_type, actor_id, occurred_at from session_events where session_id = $1 order by id",
      [LIVE_SESSION_ID],
    );
    const types = rows.map((r) => r.type);
    for (const type of [
      "session.started",
      "attendee.joined",
      "question.created",
      "question.approved",
      "vote.cast",
    ]) {
      expect(types).toContain(type);
    }
    expect(types).not.toContain("session.ended");
    const times = rows.map((r) => r.occurred_at.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (const row of rows) expect(row.actor_type === "system" || row.actor_id !== null).toBe(true);
  });

  it("is idempotent: seeding again, even twice at once and later, changes no row", async () => {
    const before = await snapshot(t);
    const later = new Date(Date.now() + 3_600_000);
    const [again, concurrent] = await Promise.all([seed(t.db, { now: later }), seed(t.db)]);
    expect(again).toEqual(summary);
    expect(concurrent).toEqual(summary);
    expect(await seed(t.db)).toEqual(summary);
    expect(await snapshot(t)).toEqual(before);
  });
});

describe("seed data integrity", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    await seed(t.db);
  });
  afterAll(async () => t?.drop());

  it("deleting the live session cascades to everything in it", async () => {
    const counts = async () => {
      const { rows } = await t.pool.query(
        `select
          (select count(*)::int from attendees where session_id = $1) as attendees,
          (select count(*)::int from questions where session_id = $1) as questions,
          (select count(*)::int from question_votes v join attendees a on a.id = v.attendee_id
            where a.session_id = $1) as votes,
          (select count(*)::int from session_events where session_id = $1) as events,
          (select count(*)::int from session_members where session_id = $1) as members,
          (select count(*)::int from session_analytics where session_id = $1) as analytics`,
        [LIVE_SESSION_ID],
      );
      return rows[0];
    };
    const before = await counts();
    for (const n of Object.values(before)) expect(n).toBeGreaterThan(0);
    const { rows: total } = await t.pool.query("select count(*)::int as n from question_votes");

    await t.pool.query("delete from sessions where id = $1", [LIVE_SESSION_ID]);

    expect(await counts()).toEqual({
      attendees: 0,
      questions: 0,
      votes: 0,
      events: 0,
      members: 0,
      analytics: 0,
    });
    const { rows: left } = await t.pool.query("select count(*)::int as n from question_votes");
    expect(left[0].n).toBe(total[0].n - before.votes);
    const { rows: users } = await t.pool.query("select count(*)::int as n from users");
    expect(users[0].n).toBe(2);
  });

  it("refuses a conflicting demo user with a clear error and writes nothing", async () => {
    const other = await createTestDatabase();
    try {
      await other.pool.query("insert into users (name, email) values ('Someone', 'ada@podium.example')");
      await expect(seed(other.db)).rejects.toThrow(/users .* same email/);
      const { rows } = await other.pool.query("select count(*)::int as n from sessions");
      expect(rows[0].n).toBe(0);
    } finally {
      await other.drop();
    }
  });
});
