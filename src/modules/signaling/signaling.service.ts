import type { Logger } from "pino";
import type { Config } from "../../config/env.js";
import type { Database } from "../../db/client.js";
import { AppError } from "../../lib/errors.js";
import { createKeyedQueue } from "../../lib/keyed-queue.js";
import { appendSessionEvent } from "../analytics/analytics.service.js";
import type { Sessions } from "../sessions/sessions.service.js";
import { iceServersFor } from "./ice-servers.js";
import {
  countIceRestart,
  markAttendeeGone,
  markAttendeeReady,
  recordLinkState,
  requestReadyLinks,
  saveQualityMinutes,
} from "./signaling.repository.js";
import { createQualityTracker } from "./signaling.quality.js";
import { createPeerDirectory, isAttendee, isPresenter, type SignalingPeer } from "./signaling.peers.js";

export { presenterPeerId, type SignalingPeer } from "./signaling.peers.js";
import {
  type MediaLinkView,
  type MediaPeer,
  type MediaSetup,
  type SignalingPayload,
  type SignalingServerEvents,
} from "./signaling.schemas.js";

type Emit = <E extends keyof SignalingServerEvents>(
  event: E,
  ...args: Parameters<SignalingServerEvents[E]>
) => void;

/**
 * Where the service's messages go; the real-time layer implements it with rooms (signaling.socket.ts). `peer`
 * reaches the sockets of one peer id **within one session** only.
 */
export interface SignalingOutlet {
  peer(sessionId: string, peerId: string): { emit: Emit };
  presenters(sessionId: string): { emit: Emit };
  attendees(sessionId: string): { emit: Emit };
  session(sessionId: string): { emit: Emit };
}

const MINUTES_FLUSH_MS = 15_000;

export interface SignalingDeps {
  db: Database;
  sessions: Pick<Sessions, "snapshot">;
  outlet: SignalingOutlet;
  config: Pick<Config["media"], "stunUrls" | "turnUrls" | "turnSecret" | "turnCredentialTtlS"> &
    Pick<Config["media"], "statsIntervalMs" | "qualitySummaryMs">;
  logger: Logger;
}

/**
 * WebRTC signaling for peer-to-peer broadcast: the presenter (or a co-host) holds one peer connection per
 * attendee. The server relays descriptions and candidates along presenter ↔ attendee edges of one session, tells
 * presenters whom to connect to, tracks each link's states as both ends report them (the time to connect goes
 * to session_events), and turns quality reports into a live summary and bandwidth recommendations.
 */
export function createSignaling(deps: SignalingDeps) {
  const { db, outlet, config, logger } = deps;
  const quality = createQualityTracker({ freshMs: config.statsIntervalMs * 3 });
  const { attendeeInSession, rememberAttendee, settingsOf, checkEdge } = createPeerDirectory(deps);

  /** The link a message or report is about: the attendee's own, or the presenter's link to that attendee. */
  async function linkOf(
    peer: SignalingPeer,
    otherPeerId: string,
  ): Promise<{
    attendeeId: string;
    attendeePeerId: string;
    presenterPeerId: string;
    end: "attendee" | "presenter";
  }> {
    await checkEdge(peer, otherPeerId);
    if (isAttendee(peer)) {
      return {
        attendeeId: peer.attendeeId,
        attendeePeerId: peer.peerId,
        presenterPeerId: otherPeerId,
        end: "attendee",
      };
    }
    const attendee = await attendeeInSession(peer.sessionId, otherPeerId);
    return {
      attendeeId: attendee.attendeeId,
      attendeePeerId: attendee.peerId,
      presenterPeerId: peer.peerId!,
      end: "presenter",
    };
  }

  async function ready(peer: SignalingPeer): Promise<MediaSetup> {
    const media = await settingsOf(peer.sessionId);
    const setup = (role: MediaSetup["role"], peerId: string, peers: MediaPeer[]): MediaSetup => {
      const ice = iceServersFor(config, peerId, Date.now());
      return {
        peerId,
        role,
        iceServers: ice.iceServers,
        iceExpiresAt: ice.expiresAt,
        media,
        statsIntervalMs: config.statsIntervalMs,
        peers,
      };
    };
    if (isPresenter(peer)) {
      const peers = await requestReadyLinks(db, peer.sessionId, peer.peerId);
      outlet.attendees(peer.sessionId).emit("media:presenter", {
        sessionId: peer.sessionId,
        peerId: peer.peerId,
        status: "live",
      });
      return setup("presenter", peer.peerId, peers);
    }
    if (isAttendee(peer)) {
      const me = await markAttendeeReady(db, peer.attendeeId);
      if (!me) throw new AppError("ATTENDEE_LEFT", 409, "This attendee has left; join the session again.");
      rememberAttendee({ ...me, sessionId: peer.sessionId });
      outlet.presenters(peer.sessionId).emit("media:peer", {
        sessionId: peer.sessionId,
        peer: me,
        reason: "ready",
      });
      return setup("attendee", peer.peerId, []);
    }
    throw new AppError("FORBIDDEN", 403, "Only presenters, co-hosts and attendees take part in media.");
  }

  async function gone(peer: SignalingPeer, reason: "left" | "disconnected"): Promise<void> {
    if (isAttendee(peer)) {
      await markAttendeeGone(db, peer.attendeeId);
      quality.forget(peer.sessionId, peer.attendeeId);
      outlet.presenters(peer.sessionId).emit("media:peer-left", {
        sessionId: peer.sessionId,
        peerId: peer.peerId,
        attendeeId: peer.attendeeId,
        reason,
      });
    } else if (isPresenter(peer)) {
      outlet.attendees(peer.sessionId).emit("media:presenter", {
        sessionId: peer.sessionId,
        peerId: peer.peerId,
        status: "left",
      });
    }
  }

  /**
   * One end's reports of a link apply in the order it sent them: the dispatcher handles a socket's events
   * concurrently, and a `disconnected` committed after the `connected` that followed it would stick.
   */
  const inOrder = createKeyedQueue();

  async function state(
    peer: SignalingPeer,
    payload: SignalingPayload<"media:state">,
  ): Promise<MediaLinkView> {
    return inOrder(`${peer.sessionId}:${peer.peerId}:${payload.peerId}`, () => recordState(peer, payload));
  }

  async function recordState(
    peer: SignalingPeer,
    payload: SignalingPayload<"media:state">,
  ): Promise<MediaLinkView> {
    const link = await linkOf(peer, payload.peerId);
    const { link: view, justConnected } = await db.transaction(async (tx) => {
      const recorded = await recordLinkState(tx, {
        attendeeId: link.attendeeId,
        sessionId: peer.sessionId,
        end: link.end,
        state: payload.state,
        presenterPeerId: link.presenterPeerId,
      });
      const event = recorded.justConnected
        ? "media.connected"
        : payload.state === "failed"
          ? "media.failed"
          : null;
      if (event) {
        await appendSessionEvent(tx, {
          sessionId: peer.sessionId,
          type: event,
          actor: peer.actor,
          payload: {
            attendeeId: link.attendeeId,
            presenterPeerId: link.presenterPeerId,
            reportedBy: link.end,
            attempt: recorded.link.attempts,
            ...(recorded.justConnected ? { connectMs: recorded.link.connectMs } : {}),
          },
        });
      }
      return recorded;
    });
    // Written; now told.
    const presenters = outlet.presenters(peer.sessionId);
    presenters.emit("media:link", view);
    if (payload.state === "failed" && link.end === "attendee") {
      const attendee = await attendeeInSession(peer.sessionId, link.attendeePeerId);
      presenters.emit("media:peer", { sessionId: peer.sessionId, peer: attendee, reason: "restart" });
    }
    if (justConnected)
      logger.debug({ attendeeId: link.attendeeId, connectMs: view.connectMs }, "media link up");
    return view;
  }

  async function description(
    peer: SignalingPeer,
    payload: SignalingPayload<"signal:description">,
  ): Promise<null> {
    await checkEdge(peer, payload.to);
    if (payload.streams && !isPresenter(peer)) {
      throw new AppError("VALIDATION_FAILED", 400, "streams: only a presenter announces streams.");
    }
    if (payload.streams?.some((s) => s.role === "screen")) {
      if (!(await settingsOf(peer.sessionId)).screenShareAllowed) throw screenShareNotAllowed();
    }
    if (payload.iceRestart && payload.description.type === "offer") {
      const link = await linkOf(peer, payload.to);
      await countIceRestart(db, link.attendeeId);
    }
    outlet.peer(peer.sessionId, payload.to).emit("signal:description", {
      from: peer.peerId!,
      description: payload.description,
      ...(payload.streams ? { streams: payload.streams } : {}),
      ...(payload.iceRestart ? { iceRestart: true } : {}),
    });
    return null;
  }

  async function candidate(
    peer: SignalingPeer,
    payload: SignalingPayload<"signal:candidate">,
  ): Promise<null> {
    await checkEdge(peer, payload.to);
    outlet
      .peer(peer.sessionId, payload.to)
      .emit("signal:candidate", { from: peer.peerId!, candidate: payload.candidate });
    return null;
  }

  async function stats(peer: SignalingPeer, payload: SignalingPayload<"media:stats">): Promise<null> {
    const link = await linkOf(peer, payload.peerId);
    const { peerId: _peer, ...report } = payload;
    quality.record(
      peer.sessionId,
      { attendeeId: link.attendeeId, peerId: link.attendeePeerId },
      link.end,
      report,
      Date.now(),
    );
    return null;
  }

  async function screen(
    peer: SignalingPeer,
    payload: SignalingPayload<"media:screen">,
  ): Promise<{ streamId: string; active: boolean }> {
    if (!isPresenter(peer))
      throw new AppError("FORBIDDEN", 403, "Only a presenter or co-host shares a screen.");
    const active = payload.action === "start";
    if (active && !(await settingsOf(peer.sessionId)).screenShareAllowed) throw screenShareNotAllowed();
    await appendSessionEvent(db, {
      sessionId: peer.sessionId,
      type: active ? "media.screen_started" : "media.screen_stopped",
      actor: peer.actor,
      payload: { presenterPeerId: peer.peerId, streamId: payload.streamId },
    });
    outlet.session(peer.sessionId).emit("media:screen", {
      sessionId: peer.sessionId,
      presenterPeerId: peer.peerId,
      streamId: payload.streamId,
      active,
    });
    return { streamId: payload.streamId, active };
  }

  async function summarize(): Promise<void> {
    const now = Date.now();
    for (const sessionId of quality.takeDirty()) {
      try {
        const { maxBitrateKbps } = await settingsOf(sessionId);
        const { summary, changed } = quality.summarize(sessionId, now, maxBitrateKbps);
        const presenters = outlet.presenters(sessionId);
        presenters.emit("media:quality", summary);
        if (changed.length > 0) presenters.emit("media:bandwidth", { sessionId, links: changed });
      } catch (error) {
        logger.warn({ err: error, sessionId }, "media quality summary not sent");
      }
    }
  }

  async function saveMinutes(all: boolean): Promise<void> {
    const buckets = quality.takeMinutes(all ? undefined : Date.now());
    try {
      await saveQualityMinutes(db, buckets);
    } catch (error) {
      if (!all) quality.restoreMinutes(buckets);
      logger.warn({ err: error, minutes: buckets.length }, "media quality minutes not saved");
    }
  }

  const summaryTimer = setInterval(() => void summarize(), config.qualitySummaryMs);
  const minutesTimer = setInterval(() => void saveMinutes(false), MINUTES_FLUSH_MS);
  summaryTimer.unref();
  minutesTimer.unref();

  return {
    ready,
    /** `media:leave`: this peer is done with media. */
    leave: (peer: SignalingPeer) => gone(peer, "left"),
    /** A socket closed; `lastOfPeer`: no other socket of the same peer is left on this instance. */
    async socketClosed(peer: SignalingPeer, lastOfPeer: boolean): Promise<void> {
      if (lastOfPeer) await gone(peer, "disconnected");
    },
    description,
    candidate,
    state,
    stats,
    screen,
    /** Sends the pending summaries and saves the quality minutes now; for tests and shutdown. */
    async flush(): Promise<void> {
      await summarize();
      await saveMinutes(true);
    },
    async close(): Promise<void> {
      clearInterval(summaryTimer);
      clearInterval(minutesTimer);
      await saveMinutes(true);
    },
  };
}

export type Signaling = ReturnType<typeof createSignaling>;

const screenShareNotAllowed = () =>
  new AppError("SCREEN_SHARE_NOT_ALLOWED", 403, "This session's settings do not allow screen sharing.");
