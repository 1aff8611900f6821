import { z } from "zod";
import type { QualityLevel, Recommendation } from "./bandwidth.js";
import type { IceServer } from "./ice-servers.js";
import { LINK_STATES, type LinkState } from "./signaling.table.js";

/**
 * The signaling protocol's payloads: inbound schemas (strict, with caps; src/realtime/events.ts lists them with
 * the other inbound events) and what the server sends. docs/REALTIME.md, "WebRTC signaling", describes them.
 */

/** An SDP is a few KiB (Chromium's offer with camera, screen and audio: 6–10 KiB); more is not a real one. */
export const MAX_SDP_BYTES = 32_768;
export const MAX_CANDIDATE_BYTES = 1_024;

/**
 * Attendee peer ids are 32 lowercase hex characters (attendees.peer_id); presenter peer ids are `p` and 31 hex
 * characters (presenterPeerId). The form says which side a peer is on, so the edge rule needs no lookup.
 */
export const ATTENDEE_PEER_ID = /^[0-9a-f]{32}$/;
export const PRESENTER_PEER_ID = /^p[0-9a-f]{31}$/;
const peerId = z
  .string()
  .refine(
    (value) => ATTENDEE_PEER_ID.test(value) || PRESENTER_PEER_ID.test(value),
    "must be a peer id (32 hex characters, or p and 31 for a presenter)",
  );

export const sessionDescriptionSchema = z
  .object({
    type: z.enum(["offer", "answer"]),
    sdp: z
      .string()
      .min(1)
      .max(MAX_SDP_BYTES, `an SDP is at most ${MAX_SDP_BYTES} characters`)
      .refine((sdp) => sdp.startsWith("v=0"), "must be an SDP (starting with v=0)"),
  })
  .strict();

export const STREAM_ROLES = ["camera", "screen"] as const;
export type StreamRole = (typeof STREAM_ROLES)[number];

const streamId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\w{}.-]+$/, "must be a MediaStream id");

export const streamAnnouncementSchema = z.object({ streamId, role: z.enum(STREAM_ROLES) }).strict();

export const iceCandidateSchema = z
  .object({
    candidate: z
      .string()
      .max(MAX_CANDIDATE_BYTES)
      .refine(
        (value) => value === "" || /^candidate:\S+ \d+ \w+ \d+ \S+ \d+ typ \w+/.test(value),
        'must be an ICE candidate line ("candidate:… typ …") or "" (end of candidates of one m-line)',
      ),
    sdpMid: z.string().max(32).nullable().optional(),
    sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
    usernameFragment: z.string().max(256).nullable().optional(),
  })
  .strict();

export const signalingInbound = {
  /** Ready for media: a presenter going live (or back), an attendee ready to receive. */
  "media:ready": { schema: z.object({}).strict(), maxBytes: 64, limiter: "signaling" },
  /** Done with media (the peer connections are closed); a socket that closes says so implicitly. */
  "media:leave": { schema: z.object({}).strict(), maxBytes: 64, limiter: "signaling" },
  "signal:description": {
    schema: z
      .object({
        to: peerId,
        description: sessionDescriptionSchema,
        /** The presenter's streams in this description, by role, so clients can lay them out. */
        streams: z.array(streamAnnouncementSchema).max(4).optional(),
        /** An offer made with `createOffer({iceRestart: true})`. */
        iceRestart: z.boolean().optional(),
      })
      .strict(),
    maxBytes: MAX_SDP_BYTES + 1_024,
    limiter: "signaling",
  },
  "signal:candidate": {
    schema: z.object({ to: peerId, candidate: iceCandidateSchema.nullable() }).strict(),
    maxBytes: MAX_CANDIDATE_BYTES + 512,
    limiter: "signaling",
  },
  "media:state": {
    schema: z.object({ peerId, state: z.enum(LINK_STATES) }).strict(),
    maxBytes: 128,
    limiter: "signaling",
  },
  "media:stats": {
    schema: z
      .object({
        peerId,
        rttMs: z.number().min(0).max(60_000).optional(),
        jitterMs: z.number().min(0).max(60_000).optional(),
        packetLossPct: z.number().min(0).max(100).optional(),
        bitrateKbps: z.number().min(0).max(1_000_000).optional(),
        fps: z.number().min(0).max(240).optional(),
      })
      .strict(),
    maxBytes: 384,
    limiter: "signaling",
  },
  "media:screen": {
    schema: z.object({ action: z.enum(["start", "stop"]), streamId }).strict(),
    maxBytes: 160,
    limiter: "signaling",
  },
} as const;

export type SignalingEvent = keyof typeof signalingInbound;
export type SignalingPayload<E extends SignalingEvent> = z.infer<(typeof signalingInbound)[E]["schema"]>;
export type SessionDescription = z.infer<typeof sessionDescriptionSchema>;
export type IceCandidate = z.infer<typeof iceCandidateSchema>;
export type StreamAnnouncement = z.infer<typeof streamAnnouncementSchema>;
export type StatsReport = Omit<SignalingPayload<"media:stats">, "peerId">;

/** An attendee a presenter should connect to. */
export interface MediaPeer {
  peerId: string;
  attendeeId: string;
  displayName: string;
}

/** The answer to `media:ready`. */
export interface MediaSetup {
  peerId: string;
  role: "presenter" | "attendee";
  iceServers: IceServer[];
  /** When the TURN credential in `iceServers` expires (ask again with `media:ready` before); null without TURN. */
  iceExpiresAt: string | null;
  media: { screenShareAllowed: boolean; maxBitrateKbps: number };
  /** How often to send `media:stats` per peer connection. */
  statsIntervalMs: number;
  /** Presenters: every attendee ready for media, to connect to now. Attendees: empty. */
  peers: MediaPeer[];
}

/** One attendee's link as both ends report it. */
export interface MediaLinkView {
  sessionId: string;
  attendeeId: string;
  peerId: string;
  presenterPeerId: string | null;
  attendeeState: LinkState;
  attendeeStateAt: string | null;
  presenterState: LinkState;
  presenterStateAt: string | null;
  requestedAt: string | null;
  connectedAt: string | null;
  connectMs: number | null;
  attempts: number;
  iceRestarts: number;
}

export interface Distribution {
  min: number;
  p50: number;
  p90: number;
  max: number;
}

/** The live quality of a session's links, over the attendees with a recent report. */
export interface QualitySummary {
  sessionId: string;
  /** Attendees with a report in the last three stats intervals. */
  attendees: number;
  rttMs: Distribution | null;
  jitterMs: Distribution | null;
  packetLossPct: Distribution | null;
  bitrateKbps: Distribution | null;
  fps: Distribution | null;
  levels: Record<QualityLevel, number>;
  at: string;
}

export type LinkRecommendation = Recommendation & { peerId: string; attendeeId: string };

/** What the server sends about media and signaling (see ServerToClientEvents in src/realtime/events.ts). */
export interface SignalingServerEvents {
  /** An offer or answer from `from`, with the presenter's streams by role. */
  "signal:description": (payload: {
    from: string;
    description: SessionDescription;
    streams?: StreamAnnouncement[];
    iceRestart?: boolean;
  }) => void;
  /** An ICE candidate from `from`; `null`: it has gathered all its candidates. */
  "signal:candidate": (payload: { from: string; candidate: IceCandidate | null }) => void;
  /** Presenters: connect to this attendee (it became ready), or restart ICE with it (it reported a failure). */
  "media:peer": (payload: { sessionId: string; peer: MediaPeer; reason: "ready" | "restart" }) => void;
  /** Presenters: this attendee is gone; close its peer connection. */
  "media:peer-left": (payload: {
    sessionId: string;
    peerId: string;
    attendeeId: string;
    reason: "left" | "disconnected";
  }) => void;
  /** Attendees: a presenter went live (or came back), or left; close its peer connection when it left. */
  "media:presenter": (payload: { sessionId: string; peerId: string; status: "live" | "left" }) => void;
  /** Everyone: the presenter's screen share started or stopped. */
  "media:screen": (payload: {
    sessionId: string;
    presenterPeerId: string;
    streamId: string;
    active: boolean;
  }) => void;
  /** Presenters: a link's states changed (each end's report, the time to connect). */
  "media:link": (link: MediaLinkView) => void;
  /** Presenters: the distribution of quality over attendees; coalesced (every MEDIA_QUALITY_SUMMARY_MS). */
  "media:quality": (summary: QualitySummary) => void;
  /** Presenters: new encoding recommendations for links whose recommendation changed; with the summary. */
  "media:bandwidth": (payload: { sessionId: string; links: LinkRecommendation[] }) => void;
}
