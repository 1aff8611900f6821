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
  | { type: "attendees.changed"; sessionId: string };

export type Publish = (event: DomainEvent) => void;

/** The publisher of an app without clients to tell (scripts, tests of services alone). */
export const ignoreEvents: Publish = () => undefined;
