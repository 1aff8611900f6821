import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { users, workspaces } from "../auth/auth.table.js";
import type { StoredSessionSettings } from "./sessions.settings.js";

export const sessionStatus = pgEnum("session_status", ["draft", "scheduled", "live", "ended"]);
export const sessionMemberRole = pgEnum("session_member_role", ["co_host", "moderator"]);

/** A presenter's session (a talk, a webinar): what attendees join with a code. */
export const sessions = pgTable(
  "sessions",
  {
    id: uuid().primaryKey().defaultRandom(),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    ownerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    title: text().notNull(),
    description: text(),
    status: sessionStatus().notNull().default("draft"),
    joinCode: text().notNull(),
    capacity: integer().notNull().default(500),
    /**
     * Attendees present now (connected or reconnecting) and the most there ever were at once. Kept by the
     * `attendees_seats` trigger, which also refuses a seat beyond capacity: never written by the application.
     */
    attendeesPresent: integer().notNull().default(0),
    attendeesPeak: integer().notNull().default(0),
    settings: jsonb()
      .$type<StoredSessionSettings>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    scheduledAt: timestamp({ withTimezone: true }),
    startedAt: timestamp({ withTimezone: true }),
    endedAt: timestamp({ withTimezone: true }),
    /** Bumped on every change, so real-time clients can drop stale updates. */
    version: integer().notNull().default(1),
    /**
     * Bumped by the `questions_revision` trigger whenever a question of the session is added, removed, or changes
     * its text or status: what a question was compared with for duplicates is still exact while it is unchanged.
     * Never written by the application.
     */
    questionsRevision: integer().notNull().default(0),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // A join code is unique among sessions that have not ended; ended sessions free theirs for reuse.
    uniqueIndex("sessions_join_code_active_uq")
      .on(t.joinCode)
      .where(sql`${t.status} <> 'ended'`),
    // Page order per owner and per workspace for the list's keyset branches (sessions.repository.ts); NULLS FIRST
    // is what ORDER BY ... DESC means, so the index serves it as is.
    index("sessions_owner_created_idx").on(
      t.ownerId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    index("sessions_workspace_created_idx").on(
      t.workspaceId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    index("sessions_owner_status_idx").on(t.ownerId, t.status, t.createdAt.desc(), t.id.desc()),
    index("sessions_workspace_status_idx").on(t.workspaceId, t.status, t.createdAt.desc(), t.id.desc()),
    check("sessions_capacity_range", sql`${t.capacity} between 1 and 100000`),
    check("sessions_attendees_present_non_negative", sql`${t.attendeesPresent} >= 0`),
    check("sessions_title_length", sql`char_length(${t.title}) between 1 and 200`),
    check("sessions_join_code_format", sql`${t.joinCode} ~ '^[A-Z0-9]{4,12}$'`),
    check(
      "sessions_lifecycle_times",
      sql`(${t.status} in ('draft', 'scheduled') or ${t.startedAt} is not null) and (${t.status} <> 'ended' or ${t.endedAt} is not null)`,
    ),
  ],
);

/** People other than the owner with a role in one session, granted by the host. */
export const sessionMembers = pgTable(
  "session_members",
  {
    sessionId: uuid()
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: sessionMemberRole().notNull(),
    grantedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.userId] }), index("session_members_user_idx").on(t.userId)],
);
