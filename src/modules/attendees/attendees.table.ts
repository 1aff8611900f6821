import { sql } from "drizzle-orm";
import { check, index, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { sessions } from "../sessions/sessions.table.js";

export const attendeeStatus = pgEnum("attendee_status", [
  "connected",
  "reconnecting",
  "disconnected",
  "left",
]);

/** Someone who joined a session with a name (no account). Identified by the attendee token's subject. */
export const attendees = pgTable(
  "attendees",
  {
    id: uuid().primaryKey().defaultRandom(),
    sessionId: uuid()
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    displayName: text().notNull(),
    /** Stored only when the session asks for it. */
    email: text(),
    status: attendeeStatus().notNull().default("connected"),
    /** The WebRTC peer id other peers address signaling to; not the attendee id, which is a credential subject. */
    peerId: text()
      .notNull()
      .default(sql`replace(gen_random_uuid()::text, '-', '')`),
    joinedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    leftAt: timestamp({ withTimezone: true }),
    lastSeenAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** Set when a moderator bans the attendee: every token issued to it stops working. */
    bannedAt: timestamp({ withTimezone: true }),
    /** Set when a moderator removes the attendee: its tokens stop working, but it may join again as someone new. */
    removedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    uniqueIndex("attendees_peer_id_uq").on(t.peerId),
    index("attendees_session_status_idx").on(t.sessionId, t.status, t.joinedAt),
    // The presence sweeper's scan: live attendees by last sign of life.
    index("attendees_last_seen_idx")
      .on(t.lastSeenAt)
      .where(sql`${t.status} in ('connected', 'reconnecting')`),
    // Each instance reads the recent bans and removals at start and after a Redis reconnect (token revocation).
    index("attendees_banned_at_idx")
      .on(t.bannedAt)
      .where(sql`${t.bannedAt} is not null`),
    index("attendees_removed_at_idx")
      .on(t.removedAt)
      .where(sql`${t.removedAt} is not null`),
    check("attendees_display_name_length", sql`char_length(${t.displayName}) between 1 and 80`),
  ],
);
