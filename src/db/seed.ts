import { getTableName, inArray, sql } from "drizzle-orm";
import type { Database, Executor } from "./client.js";
import {
  attendees,
  questions,
  questionVotes,
  sessionAnalytics,
  sessionEvents,
  sessionMembers,
  sessions,
  users,
  workspace_members,
  workspaces,
} from "./schema.js";
import {
  PRESENTER_ID,
  WORKSPACE_MEMBER_ID,
  seedSessions,
  seedUsers,
  seedWorkspace,
  type AttendeeSpec,
  type SessionSpec,
} from "./seed-data.js";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const COUNTED = {
  users,
  workspaces,
  workspaceMembers: workspace_members,
  sessions,
  sessionMembers,
  attendees,
  questions,
  questionVotes,
  sessionEvents,
  sessionAnalytics,
};

/** How many rows each table holds once seeding has committed. */
export type SeedSummary = Record<keyof typeof COUNTED, number>;

export interface SeedRows {
  users: (typeof users.$inferInsert)[];
  workspaces: (typeof workspaces.$inferInsert)[];
  workspaceMembers: (typeof workspace_members.$inferInsert)[];
  sessions: (typeof sessions.$inferInsert)[];
  sessionMembers: (typeof sessionMembers.$inferInsert)[];
  attendees: (typeof attendees.$inferInsert)[];
  questions: (typeof questions.$inferInsert)[];
  questionVotes: (typeof questionVotes.$inferInsert)[];
  sessionAnalytics: (typeof sessionAnalytics.$inferInsert)[];
  /** In the order they happened, so identity ids follow time. */
  sessionEvents: (typeof sessionEvents.$inferInsert)[];
}

type EventRow = typeof sessionEvents.$inferInsert;
type Actor = Pick<EventRow, "actorType" | "actorId">;

const user = (id: string): Actor => ({ actorType: "user", actorId: id });
const attendee = (id: string): Actor => ({ actorType: "attendee", actorId: id });
const SYSTEM: Actor = { actorType: "system", actorId: null };
const SESSION_VERSION = { draft: 1, scheduled: 2, live: 3, ended: 4 } as const;

/**
 * Writes the demo data in one transaction. Idempotent: every row has a fixed id and is inserted with
 * ON CONFLICT DO NOTHING, and a session's events are appended only while it has none, so a second run (or
 * a concurrent one) changes nothing. Timestamps are relative to `now`; rows already present keep theirs.
 */
export async function seed(db: Database, options: { now?: Date } = {}): Promise<SeedSummary> {
  const rows = buildSeedRows(options.now ?? new Date());
  return db.transaction(async (tx) => {
    // Serialises concurrent runs, so the "events absent?" check below cannot race with another seed.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('podium.seed'))`);

    await tx.insert(users).values(rows.users).onConflictDoNothing();
    await expectSeeded(tx, users, rows.users, "email");
    await tx.insert(workspaces).values(rows.workspaces).onConflictDoNothing();
    await expectSeeded(tx, workspaces, rows.workspaces, "slug");
    await tx.insert(workspace_members).values(rows.workspaceMembers).onConflictDoNothing();
    await tx.insert(sessions).values(rows.sessions).onConflictDoNothing();
    await expectSeeded(tx, sessions, rows.sessions, "join code");
    await tx.insert(sessionMembers).values(rows.sessionMembers).onConflictDoNothing();
    await tx.insert(attendees).values(rows.attendees).onConflictDoNothing();
    await tx.insert(questions).values(rows.questions).onConflictDoNothing();
    await tx.insert(questionVotes).values(rows.questionVotes).onConflictDoNothing();
    await tx.insert(sessionAnalytics).values(rows.sessionAnalytics).onConflictDoNothing();

    // session_events has an identity key and refuses UPDATE, so ON CONFLICT cannot make it idempotent.
    const logged = await tx
      .selectDistinct({ sessionId: sessionEvents.sessionId })
      .from(sessionEvents)
      .where(inArray(sessionEvents.sessionId, ids(rows.sessions)));
    const hasEvents = new Set(logged.map((row) => row.sessionId));
    const missing = rows.sessionEvents.filter((event) => !hasEvents.has(event.sessionId));
    if (missing.length > 0) await tx.insert(sessionEvents).values(missing);

    return summarize(tx);
  });
}

/** Every row the seed writes, with times relative to `now`. Pure, so tests can check the data itself. */
export function buildSeedRows(now: Date): SeedRows {
  const rows: SeedRows = {
    users: seedUsers.map((u) => ({
      id: u.id,
      name: u.name,
      email: u.email,
      emailVerified: true,
      role: u.role,
      createdAt: daysBefore(now, u.createdDaysAgo),
      updatedAt: daysBefore(now, u.createdDaysAgo),
    })),
    workspaces: [
      {
        id: seedWorkspace.id,
        name: seedWorkspace.name,
        slug: seedWorkspace.slug,
        createdAt: daysBefore(now, seedWorkspace.createdDaysAgo),
      },
    ],
    workspaceMembers: [
      {
        id: WORKSPACE_MEMBER_ID,
        organizationId: seedWorkspace.id,
        userId: PRESENTER_ID,
        role: "owner",
        createdAt: daysBefore(now, seedWorkspace.createdDaysAgo),
      },
    ],
    sessions: [],
    sessionMembers: [],
    attendees: [],
    questions: [],
    questionVotes: [],
    sessionAnalytics: [],
    sessionEvents: [],
  };
  for (const spec of seedSessions) addSession(rows, spec, now);
  // A stable sort: events at the same instant keep the order they were added in (cause before effect).
  rows.sessionEvents.sort((a, b) => time(a.occurredAt) - time(b.occurredAt));
  return rows;
}

function addSession(rows: SeedRows, spec: SessionSpec, now: Date): void {
  const createdAt = daysBefore(now, spec.createdDaysAgo);
  const startMs =
    spec.startedMinutesAgo === undefined ? undefined : now.getTime() - spec.startedMinutesAgo * MINUTE;
  const at = (minutes: number) => new Date((startMs ?? now.getTime()) + minutes * MINUTE);
  const startedAt = startMs === undefined ? null : at(0);
  const endedAt = spec.durationMinutes === undefined ? null : at(spec.durationMinutes);
  const scheduledAt = spec.scheduledInDays === undefined ? null : daysBefore(now, -spec.scheduledInDays);
  const owner = user(PRESENTER_ID);
  const moderator = user(spec.moderatorId ?? PRESENTER_ID);
  const events: EventRow[] = [];
  const log = (type: string, actor: Actor, occurredAt: Date, payload: Record<string, unknown> = {}) =>
    events.push({ sessionId: spec.id, type, ...actor, occurredAt, payload });

  const sessionRow: SeedRows["sessions"][number] = {
    id: spec.id,
    workspaceId: seedWorkspace.id,
    ownerId: PRESENTER_ID,
    title: spec.title,
    description: spec.description,
    status: spec.status,
    joinCode: spec.joinCode,
    capacity: spec.capacity,
    settings: spec.settings,
    scheduledAt,
    startedAt,
    endedAt,
    version: SESSION_VERSION[spec.status],
    createdAt,
    updatedAt: endedAt ?? startedAt ?? createdAt,
  };
  rows.sessions.push(sessionRow);
  log("session.created", owner, createdAt, { title: spec.title });
  if (scheduledAt) log("session.scheduled", owner, createdAt, { scheduledAt: scheduledAt.toISOString() });
  if (spec.moderatorId) {
    rows.sessionMembers.push({
      sessionId: spec.id,
      userId: spec.moderatorId,
      role: "moderator",
      grantedBy: PRESENTER_ID,
      createdAt,
    });
    log("session.member_added", owner, createdAt, { userId: spec.moderatorId, role: "moderator" });
  }
  if (!startedAt) {
    rows.sessionEvents.push(...events);
    return;
  }
  log("session.started", owner, startedAt);
  if (endedAt)
    log("session.ended", owner, endedAt, { durationSeconds: (time(endedAt) - time(startedAt)) / 1000 });

  const presence: Array<[number, number]> = [];
  for (const a of spec.attendees ?? []) {
    const joinedAt = at(a.joined);
    const lastSeenAt = at(a.lastSeen);
    const until = a.status === "left" || a.status === "disconnected" ? lastSeenAt : (endedAt ?? now);
    presence.push([time(joinedAt), time(until)]);
    rows.attendees.push({
      id: a.id,
      sessionId: spec.id,
      displayName: a.name,
      email: spec.settings.collectAttendeeEmail ? (a.email ?? null) : null,
      status: a.status,
      peerId: a.id.replaceAll("-", ""),
      joinedAt,
      lastSeenAt,
      leftAt: a.status === "left" ? lastSeenAt : null,
      bannedAt: a.bannedAt === undefined ? null : at(a.bannedAt),
    });
    log("attendee.joined", attendee(a.id), joinedAt, { attendeeId: a.id, displayName: a.name });
    logDeparture(a, at, (type, actor, when) => log(type, actor, when, { attendeeId: a.id }), moderator);
  }

  let answered = 0;
  let votesCast = 0;
  for (const q of spec.questions ?? []) {
    const byAttendee = typeof q.author === "string";
    const author = typeof q.author === "string" ? attendee(q.author) : user(q.author.userId);
    const held = byAttendee && spec.settings.qa.moderation === "pre";
    const createdAt = at(q.at);
    const shownAt = at(held ? q.at + 1 : q.at);
    const changes: Date[] = [];
    const change = (type: string, actor: Actor, when: Date, payload: Record<string, unknown> = {}) => {
      changes.push(when);
      log(type, actor, when, { questionId: q.id, ...payload });
    };
    log("question.created", author, createdAt, {
      questionId: q.id,
      status: held ? "pending" : "visible",
      anonymous: q.anonymous ?? false,
    });
    if (held && (q.status === "visible" || q.status === "withdrawn"))
      change("question.approved", moderator, shownAt);
    if (q.status === "dismissed") change("question.dismissed", moderator, at(q.at + 2));
    if (q.status === "withdrawn") change("question.withdrawn", author, at(q.at + 3));
    if (q.pinned) change("question.pinned", owner, at(q.at + (held ? 1.25 : 0.25)));
    const votes = (q.votes ?? []).map(([voterId, value], i) => {
      const castAt = new Date(time(shownAt) + (i + 1) * 0.5 * MINUTE);
      change("vote.cast", attendee(voterId), castAt, { value });
      return { questionId: q.id, voterId, attendeeId: voterId, value, createdAt: castAt, updatedAt: castAt };
    });
    if (q.answeredAt !== undefined) change("question.answered", owner, at(q.answeredAt));
    rows.questionVotes.push(...votes);
    const upvotes = votes.filter((v) => v.value === 1).length;
    const downvotes = votes.filter((v) => v.value === -1).length;
    rows.questions.push({
      id: q.id,
      sessionId: spec.id,
      authorAttendeeId: byAttendee ? author.actorId : null,
      authorUserId: byAttendee ? null : author.actorId,
      anonymous: q.anonymous ?? false,
      text: q.text,
      status: q.status,
      pinned: q.pinned ?? false,
      answered: q.answeredAt !== undefined,
      answeredAt: q.answeredAt === undefined ? null : at(q.answeredAt),
      upvotes,
      downvotes,
      // Net votes until the questions module settles its ranking formula.
      score: upvotes - downvotes,
      version: 1 + changes.length,
      createdAt,
      updatedAt: new Date(Math.max(time(createdAt), ...changes.map(time))),
    });
    if (q.answeredAt !== undefined) answered += 1;
    votesCast += votes.length;
  }

  // The seat trigger counts who is present as the rows go in; the peak of the seeded past is set here.
  sessionRow.attendeesPeak = peakOverlap(presence);
  rows.sessionAnalytics.push({
    sessionId: spec.id,
    totalAttendees: presence.length,
    peakAttendees: sessionRow.attendeesPeak,
    questionsAsked: spec.questions?.length ?? 0,
    questionsAnswered: answered,
    votesCast,
    attendeeSeconds: Math.round(presence.reduce((sum, [from, to]) => sum + (to - from), 0) / 1000),
    updatedAt: endedAt ?? now,
  });
  rows.sessionEvents.push(...events);
}

function logDeparture(
  a: AttendeeSpec,
  at: (minutes: number) => Date,
  log: (type: string, actor: Actor, when: Date) => void,
  moderator: Actor,
): void {
  if (a.bannedAt !== undefined) log("attendee.banned", moderator, at(a.bannedAt));
  if (a.status === "left") log("attendee.left", attendee(a.id), at(a.lastSeen));
  // The presence sweeper notices a silent attendee a minute after its last heartbeat.
  if (a.status === "disconnected") log("attendee.disconnected", SYSTEM, at(a.lastSeen + 1));
}

/** The most attendees present at once; someone leaving at the instant another joins is not counted twice. */
function peakOverlap(intervals: Array<[number, number]>): number {
  const edges = intervals.flatMap(([from, to]): Array<[number, number]> => [
    [from, 1],
    [to, -1],
  ]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let peak = 0;
  for (const [, delta] of edges) {
    current += delta;
    peak = Math.max(peak, current);
  }
  return peak;
}

/** ON CONFLICT DO NOTHING also skips a row whose email, slug or join code another row holds: say so. */
async function expectSeeded(
  tx: Executor,
  table: typeof users | typeof workspaces | typeof sessions,
  wanted: Array<{ id?: string }>,
  uniqueKey: string,
): Promise<void> {
  const found = await tx
    .select({ id: table.id })
    .from(table)
    .where(inArray(table.id, ids(wanted)));
  const present = new Set(found.map((row) => row.id));
  const missing = ids(wanted).filter((id) => !present.has(id));
  if (missing.length > 0) {
    throw new Error(
      `seed: ${getTableName(table)} ${missing.join(", ")} could not be written: another row already holds the same ${uniqueKey}`,
    );
  }
}

async function summarize(db: Executor): Promise<SeedSummary> {
  const summary = {} as SeedSummary;
  for (const [name, table] of Object.entries(COUNTED))
    summary[name as keyof SeedSummary] = await db.$count(table);
  return summary;
}

const ids = (rows: Array<{ id?: string }>): string[] => rows.flatMap((row) => (row.id ? [row.id] : []));
const time = (date: Date | undefined): number => date?.getTime() ?? 0;
const daysBefore = (now: Date, days: number): Date => new Date(now.getTime() - days * DAY);
