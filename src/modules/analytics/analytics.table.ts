import {
  bigint,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { sessions } from "../sessions/sessions.table.js";

export const actorType = pgEnum("actor_type", ["user", "attendee", "api_key", "system"]);

/**
 * Append-only log of everything that happens in a session, written in the same transaction as the change it
 * records. Analytics, audit and webhooks read it. A trigger refuses UPDATE; rows leave only with their session
 * (or by a retention job).
 */
export const sessionEvents = pgTable(
  "session_events",
  {
    id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    sessionId: uuid()
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    type: text().notNull(),
    actorType: actorType().notNull(),
    actorId: uuid(),
    payload: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    occurredAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("session_events_session_idx").on(t.sessionId, t.id),
    index("session_events_session_type_idx").on(t.sessionId, t.type, t.occurredAt),
  ],
);

/** Running totals per session, kept current as events happen (the brief's session_analytics). */
export const sessionAnalytics = pgTable("session_analytics", {
  sessionId: uuid()
    .primaryKey()
    .references(() => sessions.id, { onDelete: "cascade" }),
  totalAttendees: integer().notNull().default(0),
  peakAttendees: integer().notNull().default(0),
  questionsAsked: integer().notNull().default(0),
  questionsAnswered: integer().notNull().default(0),
  votesCast: integer().notNull().default(0),
  /** Sum of attendees' time in the session, for average watch time. */
  attendeeSeconds: bigint({ mode: "number" }).notNull().default(0),
  avgRttMs: real(),
  avgPacketLossPct: real(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/** Per-minute series of a session: what the engagement timeline and heat map read. */
export const sessionAnalyticsMinutes = pgTable(
  "session_analytics_minutes",
  {
    sessionId: uuid()
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    minute: timestamp({ withTimezone: true }).notNull(),
    attendees: integer().notNull().default(0),
    joins: integer().notNull().default(0),
    leaves: integer().notNull().default(0),
    questions: integer().notNull().default(0),
    votes: integer().notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.minute] }),
    index("session_analytics_minutes_minute_idx").on(t.minute),
  ],
);
