/**
 * What services announce after a change has committed (write first, then tell). Plain data, no transport:
 * the real-time layer (src/realtime/publish.ts) turns each into socket messages for the right rooms, on every
 * instance. Services receive a `Publish` function; without a real-time layer it is `ignoreEvents`.
 */

/** A session as every client of it may see it; `version` grows with every change. */
export interface SessionState {
  id: string;
  title: string;
  description: string | null;
  status: "draft" | "scheduled" | "live" | "ended";
  scheduledAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  settings: unknown;
  version: number;
}

/** A question as clients see it. No author id: anonymity holds, and an attendee id is a credential's subject. */
export interface QuestionView {
  id: string;
  sessionId: string;
  text: string;
  /** The asker's display name; null when asked anonymously. */
  authorName: string | null;
  anonymous: boolean;
  status: "pending" | "visible" | "dismissed" | "withdrawn";
  pinned: boolean;
  answered: boolean;
  answeredAt: string | null;
  upvotes: number;
  downvotes: number;
  /** The `top` ranking score (Wilson lower bound; src/modules/questions/ranking.ts). */
  score: number;
  version: number;
  createdAt: string;
  editedAt: string | null;
}

export interface QuestionTally {
  questionId: string;
  upvotes: number;
  downvotes: number;
  score: number;
  version: number;
}

export type DomainEvent =
  /** Created, edited, started: the new state. */
  | { type: "session.changed"; session: SessionState }
  | { type: "session.ended"; session: SessionState }
  | { type: "session.deleted"; sessionId: string }
  | {
      type: "attendee.joined";
      sessionId: string;
      attendee: { id: string; displayName: string; peerId: string };
    }
  | { type: "attendee.left"; sessionId: string; attendeeId: string; reason: "left" | "banned" | "removed" }
  /** Someone took or freed a seat (join, leave, presence change): the count is sent, coalesced. */
  | { type: "attendees.changed"; sessionId: string }
  /** Asked, edited, moderated: the new state. Who sees it follows from its status (see publish.ts). */
  | { type: "question.changed"; question: QuestionView; authorAttendeeId: string | null; created: boolean }
  | { type: "question.deleted"; sessionId: string; questionId: string }
  /** Recounted tallies of one session's questions (coalesced: a few times a second at most). */
  | { type: "questions.tallied"; sessionId: string; tallies: QuestionTally[] };

export type Publish = (event: DomainEvent) => void;

/** The publisher of an app without clients to tell (scripts, tests of services alone). */
export const ignoreEvents: Publish = () => undefined;
