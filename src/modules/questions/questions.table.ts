import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  pgEnum,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { attendees } from "../attendees/attendees.table.js";
import { users } from "../auth/auth.table.js";
import { sessions } from "../sessions/sessions.table.js";

/** pending: held for moderation; visible: on the board; dismissed: removed by a moderator; withdrawn: by its author. */
export const questionStatus = pgEnum("question_status", ["pending", "visible", "dismissed", "withdrawn"]);

export const questions = pgTable(
  "questions",
  {
    id: uuid().primaryKey().defaultRandom(),
    sessionId: uuid()
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    /** The asking attendee, or the asking signed-in user (a co-host seeding a question); one of the two. */
    authorAttendeeId: uuid().references(() => attendees.id, { onDelete: "cascade" }),
    authorUserId: uuid().references(() => users.id, { onDelete: "cascade" }),
    /** Shown without the author's name; the author is still recorded for moderation and rate limits. */
    anonymous: boolean().notNull().default(false),
    text: text().notNull(),
    status: questionStatus().notNull().default("visible"),
    pinned: boolean().notNull().default(false),
    answered: boolean().notNull().default(false),
    answeredAt: timestamp({ withTimezone: true }),
    upvotes: integer().notNull().default(0),
    downvotes: integer().notNull().default(0),
    /** Ranking score (see the questions module), kept beside the tallies so `top` is an index scan. */
    score: doublePrecision().notNull().default(0),
    version: integer().notNull().default(1),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    editedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    index("questions_session_rank_idx").on(t.sessionId, t.status, t.pinned.desc(), t.score.desc(), t.id),
    index("questions_session_new_idx").on(t.sessionId, t.status, t.createdAt.desc(), t.id),
    index("questions_author_attendee_idx").on(t.authorAttendeeId),
    check("questions_one_author", sql`num_nonnulls(${t.authorAttendeeId}, ${t.authorUserId}) = 1`),
    check("questions_text_length", sql`char_length(${t.text}) between 1 and 2000`),
    check("questions_tallies_non_negative", sql`${t.upvotes} >= 0 and ${t.downvotes} >= 0`),
  ],
);

/** One vote per voter per question; the voter is an attendee or a signed-in user. */
export const questionVotes = pgTable(
  "question_votes",
  {
    questionId: uuid()
      .notNull()
      .references(() => questions.id, { onDelete: "cascade" }),
    /** The attendee id or user id that cast the vote (the one set of the two columns below). */
    voterId: uuid().notNull(),
    attendeeId: uuid().references(() => attendees.id, { onDelete: "cascade" }),
    userId: uuid().references(() => users.id, { onDelete: "cascade" }),
    value: smallint().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.questionId, t.voterId] }),
    index("question_votes_attendee_idx").on(t.attendeeId),
    index("question_votes_user_idx").on(t.userId),
    check("question_votes_value", sql`${t.value} in (-1, 1)`),
    check(
      "question_votes_one_voter",
      sql`num_nonnulls(${t.attendeeId}, ${t.userId}) = 1 and ${t.voterId} = coalesce(${t.attendeeId}, ${t.userId})`,
    ),
  ],
);
