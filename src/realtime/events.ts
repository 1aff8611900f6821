import { z } from "zod";
import type { QuestionTally, QuestionView, SessionState } from "../lib/domain-events.js";
import type { Actor } from "../modules/auth/actor.js";
import {
  signalingInbound,
  type MediaLinkView,
  type MediaSetup,
  type SignalingServerEvents,
} from "../modules/signaling/signaling.schemas.js";

/**
 * The real-time protocol: every event a server sends and every event a client may send, with its payload.
 * docs/REALTIME.md describes each one (who may send or receive it, errors); change both together.
 */

export type SocketRole = "host" | "co_host" | "moderator" | "viewer" | "attendee";

/** Attendee count of a session; `version` is the database time of the count (µs), so later counts win. */
export interface AttendeeCount {
  sessionId: string;
  count: number;
  version: number;
}

/** A question in a snapshot or a list: as everyone sees it, plus what concerns the viewer. */
export type ViewerQuestion = QuestionView & { mine: boolean; myVote: -1 | 0 | 1 };

export interface Snapshot {
  session: SessionState;
  attendees: AttendeeCount;
  /**
   * The Q&A board: visible questions by `top` (pinned first), up to 500; an attendee's own pending questions;
   * for staff, pending questions too.
   */
  questions: ViewerQuestion[];
  you: { role: SocketRole; attendeeId: string | null; peerId: string | null };
}

export interface AttendeeSummary {
  id: string;
  displayName: string;
  peerId: string;
}

export type RemovalReason = "banned" | "removed";

/** Signaling and media events (offer/answer, candidates, peers, links, quality) are SignalingServerEvents. */
export interface ServerToClientEvents extends SignalingServerEvents {
  /** Sent on every connection (and answered to `session:snapshot`): the whole state a client shows. */
  "session:snapshot": (snapshot: Snapshot) => void;
  "session:updated": (session: SessionState) => void;
  /** The session ended (or was deleted); attendees are disconnected right after. */
  "session:ended": (payload: {
    sessionId: string;
    reason: "ended" | "deleted";
    session: SessionState | null;
  }) => void;
  /** Coalesced: a few times a second per session at most. */
  "attendees:count": (count: AttendeeCount) => void;
  /** Hosts, co-hosts and moderators only. */
  "attendee:joined": (payload: { sessionId: string; attendee: AttendeeSummary }) => void;
  /** Hosts, co-hosts and moderators only. */
  "attendee:left": (payload: {
    sessionId: string;
    attendeeId: string;
    reason: "left" | RemovalReason;
  }) => void;
  /** A new question: visible ones to everyone; pending ones to staff and their author only. */
  "question:created": (question: QuestionView) => void;
  /** Edited or moderated (approved, pinned, answered, …): to whoever may see it in its new state. */
  "question:updated": (question: QuestionView) => void;
  /** No longer on the board for this client (dismissed, withdrawn, deleted). */
  "question:removed": (payload: {
    sessionId: string;
    questionId: string;
    reason: "dismissed" | "withdrawn" | "deleted";
  }) => void;
  /** Coalesced vote tallies of the session's questions that changed, with their versions. */
  "question:tallies": (payload: { sessionId: string; tallies: QuestionTally[] }) => void;
  /** To the attendee a moderator banned or removed, just before it is disconnected. */
  "you:removed": (payload: { sessionId: string; reason: RemovalReason }) => void;
}

export type AckError = { code: string; message: string };
export type Ack<T> = { ok: true; data: T } | { ok: false; error: AckError };
type Acked<P, T> = (payload: P, ack: (response: Ack<T>) => void) => void;

/** Inbound payload schemas: strict (unknown fields refused), each with its size cap in bytes. */
export const inbound = {
  "session:snapshot": { schema: z.object({}).strict(), maxBytes: 64 },
  "question:submit": {
    schema: z.object({ text: z.string().max(2_000), anonymous: z.boolean().optional() }).strict(),
    maxBytes: 8_400,
  },
  "question:vote": {
    schema: z
      .object({ questionId: z.uuid(), value: z.union([z.literal(1), z.literal(0), z.literal(-1)]) })
      .strict(),
    maxBytes: 128,
  },
  "presence:report": {
    schema: z
      .object({
        status: z.enum(["connected", "reconnecting"]).optional(),
        quality: z
          .object({
            rttMs: z.number().min(0).max(60_000).optional(),
            jitterMs: z.number().min(0).max(60_000).optional(),
            packetLossPct: z.number().min(0).max(100).optional(),
            bitrateKbps: z.number().min(0).max(1_000_000).optional(),
            fps: z.number().min(0).max(240).optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
    maxBytes: 512,
  },
  // WebRTC signaling (src/modules/signaling): counted against the socket's signaling budget, not REALTIME_*.
  ...signalingInbound,
} as const;

/** Inbound events with a budget of their own (see dispatch.ts); the others count against REALTIME_*. */
export type EventLimiter = "signaling";

export type InboundEvent = keyof typeof inbound;
export type InboundPayload<E extends InboundEvent> = z.infer<(typeof inbound)[E]["schema"]>;

/** What each inbound event's acknowledgement carries when it succeeds. */
export interface InboundResults {
  /** Asks for a fresh snapshot (after missed events); attendees and staff alike. */
  "session:snapshot": Snapshot;
  /** An attendee's connection state and quality figures (attendees only). */
  "presence:report": null;
  /** Asks a question (attendees); the question as stored (pending when held for moderation). */
  "question:submit": ViewerQuestion;
  /** Votes +1 / -1 or retracts (0) (attendees); acknowledged once committed. */
  "question:vote": { questionId: string; myVote: -1 | 0 | 1 };
  /** Ready for media (presenters: going live or back; attendees: ready to receive): ICE servers, peers. */
  "media:ready": MediaSetup;
  /** Done with media. */
  "media:leave": null;
  /** An offer or answer relayed to a peer of the session along an allowed edge. */
  "signal:description": null;
  /** An ICE candidate (or the end of them) relayed likewise. */
  "signal:candidate": null;
  /** One end's connection state of a link; the link as recorded. */
  "media:state": MediaLinkView;
  /** A quality report for one link. */
  "media:stats": null;
  /** A presenter's screen share started or stopped. */
  "media:screen": { streamId: string; active: boolean };
}

export type ClientToServerEvents = {
  [E in InboundEvent]: Acked<InboundPayload<E>, InboundResults[E]>;
};

/** What a socket carries once its handshake is accepted. */
export interface SocketData {
  sessionId: string;
  role: SocketRole;
  /** Whether it receives staff-only events (attendee list changes, pending questions). */
  staff: boolean;
  attendeeId: string | null;
  peerId: string | null;
  /** The actor as authenticated at the handshake (services authorize every inbound event with it). */
  actor: Actor;
  ip: string;
}

// Nothing travels between instances outside the adapter's own messages.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface InterServerEvents {}

/** The rooms a session's sockets are in: everyone, the staff, the attendees, and one per attendee. */
export const rooms = {
  session: (sessionId: string) => `session:${sessionId}`,
  staff: (sessionId: string) => `session:${sessionId}:staff`,
  attendees: (sessionId: string) => `session:${sessionId}:attendees`,
  attendee: (attendeeId: string) => `attendee:${attendeeId}`,
  /** The sockets of one WebRTC peer in one session: signaling reaches a peer id inside its own session only. */
  peer: (sessionId: string, peerId: string) => `session:${sessionId}:peer:${peerId}`,
  /** Hosts and co-hosts: who broadcasts media and connects to attendees. */
  presenters: (sessionId: string) => `session:${sessionId}:presenters`,
};
