import { createHash } from "node:crypto";
import type { Database } from "../../db/client.js";
import { AppError } from "../../lib/errors.js";
import type { Actor } from "../auth/actor.js";
import { parseStoredSettings, type StoredSessionSettings } from "../sessions/sessions.settings.js";
import type { Sessions } from "../sessions/sessions.service.js";
import { findAttendeePeer } from "./signaling.repository.js";
import { ATTENDEE_PEER_ID, PRESENTER_PEER_ID, type MediaPeer, type MediaSetup } from "./signaling.schemas.js";

/** Who sends a signaling message: what the socket was given at its handshake. */
export interface SignalingPeer {
  sessionId: string;
  role: "host" | "co_host" | "moderator" | "viewer" | "attendee";
  peerId: string | null;
  attendeeId: string | null;
  actor: Actor;
}

/**
 * A presenter's peer id: stable for one user in one session (a presenter who reconnects is the same peer), `p`
 * and 31 hex characters so that it can never be taken for an attendee's (32 hex).
 */
export function presenterPeerId(sessionId: string, userId: string): string {
  return `p${createHash("sha256").update(`podium-presenter:${sessionId}:${userId}`).digest("hex").slice(0, 31)}`;
}

export const isPresenter = (peer: SignalingPeer): peer is SignalingPeer & { peerId: string } =>
  (peer.role === "host" || peer.role === "co_host") && peer.peerId !== null;
export const isAttendee = (
  peer: SignalingPeer,
): peer is SignalingPeer & { peerId: string; attendeeId: string; role: "attendee" } =>
  peer.role === "attendee" && peer.peerId !== null && peer.attendeeId !== null;

const PEER_CACHE_MS = 30_000;
const SETTINGS_CACHE_MS = 2_000;

/**
 * Who a peer is and what its session allows: the attendee behind a peer id, the session's media settings (both
 * cached briefly), and the edge rule every signaling message is checked against.
 */
export function createPeerDirectory(deps: { db: Database; sessions: Pick<Sessions, "snapshot"> }) {
  const { db } = deps;
  const attendeePeers = new Map<string, { peer: MediaPeer & { sessionId: string }; atMs: number }>();
  const mediaSettings = new Map<string, { value: MediaSetup["media"]; atMs: number }>();

  /** The attendee behind a peer id, if it is in this session (cached: a peer id never changes session). */
  async function attendeeInSession(sessionId: string, peerId: string): Promise<MediaPeer> {
    const now = Date.now();
    let cached = attendeePeers.get(peerId);
    if (!cached || now - cached.atMs > PEER_CACHE_MS) {
      const found = await findAttendeePeer(db, peerId);
      if (attendeePeers.size > 100_000) attendeePeers.clear();
      if (found) attendeePeers.set(peerId, (cached = { peer: found, atMs: now }));
      else {
        attendeePeers.delete(peerId);
        cached = undefined;
      }
    }
    // Another session's peer is refused exactly like a missing one: nothing leaks across sessions.
    if (!cached || cached.peer.sessionId !== sessionId) throw peerNotFound();
    const { sessionId: _session, ...peer } = cached.peer;
    return peer;
  }

  async function settingsOf(sessionId: string): Promise<MediaSetup["media"]> {
    const now = Date.now();
    const cached = mediaSettings.get(sessionId);
    if (cached && now - cached.atMs < SETTINGS_CACHE_MS) return cached.value;
    const snapshot = await deps.sessions.snapshot(sessionId);
    if (!snapshot) throw new AppError("SESSION_NOT_FOUND", 404, "Session not found.");
    const { media } = parseStoredSettings(snapshot.session.settings as StoredSessionSettings);
    const value = { screenShareAllowed: media.screenShareAllowed, maxBitrateKbps: media.maxBitrateKbps };
    if (mediaSettings.size > 10_000) mediaSettings.clear();
    mediaSettings.set(sessionId, { value, atMs: now });
    return value;
  }

  /** The edge rule: presenters and co-hosts signal attendees; attendees signal presenters; nobody else signals. */
  async function checkEdge(from: SignalingPeer, to: string): Promise<void> {
    if (isPresenter(from)) {
      if (!ATTENDEE_PEER_ID.test(to)) throw edgeNotAllowed("A presenter signals attendees only.");
      await attendeeInSession(from.sessionId, to);
      return;
    }
    if (isAttendee(from)) {
      if (!PRESENTER_PEER_ID.test(to)) throw edgeNotAllowed("An attendee signals presenters only.");
      return;
    }
    throw new AppError("FORBIDDEN", 403, "Only presenters, co-hosts and attendees take part in media.");
  }

  /** An attendee that just declared itself ready: known without a lookup when presenters answer it. */
  function rememberAttendee(peer: MediaPeer & { sessionId: string }): void {
    attendeePeers.set(peer.peerId, { peer, atMs: Date.now() });
  }

  return { attendeeInSession, rememberAttendee, settingsOf, checkEdge };
}

const peerNotFound = () =>
  new AppError("PEER_NOT_FOUND", 404, "No such peer in this session (it may have left).");
const edgeNotAllowed = (detail: string) => new AppError("EDGE_NOT_ALLOWED", 403, detail);
