import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, primaryKey, real, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { attendees } from "../attendees/attendees.table.js";
import { sessions } from "../sessions/sessions.table.js";

/** What a peer connection reports (RTCPeerConnection.connectionState). */
export const LINK_STATES = ["new", "connecting", "connected", "disconnected", "failed", "closed"] as const;
export type LinkState = (typeof LINK_STATES)[number];

/**
 * One media link per attendee: the peer connection between it and the presenter (or co-host) serving it, as both
 * ends report it, with timestamps. `requested_at` is when the server asked the presenter to connect (the attendee
 * became ready, or the presenter went live or came back); the first `connected` after it gives the time to connect.
 */
export const mediaLinks = pgTable(
  "media_links",
  {
    attendeeId: uuid()
      .primaryKey()
      .references(() => attendees.id, { onDelete: "cascade" }),
    sessionId: uuid()
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    /** The presenter peer of the current attempt; null until one asked for or reported this link. */
    presenterPeerId: text(),
    /** When the attendee's client said it is ready to receive media (`media:ready`); null after it left. */
    readyAt: timestamp({ withTimezone: true }),
    requestedAt: timestamp({ withTimezone: true }),
    connectedAt: timestamp({ withTimezone: true }),
    /** Milliseconds from `requested_at` to the first `connected` of the attempt. */
    connectMs: integer(),
    attendeeState: text().notNull().default("new"),
    attendeeStateAt: timestamp({ withTimezone: true }),
    presenterState: text().notNull().default("new"),
    presenterStateAt: timestamp({ withTimezone: true }),
    attempts: integer().notNull().default(0),
    iceRestarts: integer().notNull().default(0),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("media_links_session_ready_idx")
      .on(t.sessionId)
      .where(sql`${t.readyAt} is not null`),
    check(
      "media_links_states",
      sql`${t.attendeeState} in ('new','connecting','connected','disconnected','failed','closed') and ${t.presenterState} in ('new','connecting','connected','disconnected','failed','closed')`,
    ),
  ],
);

/**
 * Connection quality, downsampled: one row per attendee, reporting end and minute, averaged over the reports of
 * that minute (with their count, so rows from several instances or flushes merge into a true average).
 */
export const mediaQualityMinutes = pgTable(
  "media_quality_minutes",
  {
    sessionId: uuid()
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    attendeeId: uuid()
      .notNull()
      .references(() => attendees.id, { onDelete: "cascade" }),
    /** Which end measured: the attendee (receiving) or the presenter (sending). */
    reporter: text().notNull(),
    minute: timestamp({ withTimezone: true }).notNull(),
    reports: integer().notNull(),
    rttMs: real(),
    rttMaxMs: real(),
    jitterMs: real(),
    packetLossPct: real(),
    packetLossMaxPct: real(),
    bitrateKbps: real(),
    fps: real(),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.attendeeId, t.reporter, t.minute] }),
    index("media_quality_minutes_session_minute_idx").on(t.sessionId, t.minute),
    check("media_quality_minutes_reporter", sql`${t.reporter} in ('attendee','presenter')`),
  ],
);
