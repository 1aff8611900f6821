import type { Config } from "../../config/env.js";
import type { EventLimiters, Handler } from "../../realtime/dispatch.js";
import type { SocketData } from "../../realtime/events.js";
import { createFloodControl } from "../../realtime/flood.js";
import type { PodiumServer } from "../../realtime/publish.js";
import { rooms } from "../../realtime/events.js";
import type { Signaling, SignalingOutlet } from "./signaling.service.js";
import type { SignalingEvent } from "./signaling.schemas.js";

/** The signaling service's outlet on Socket.io rooms; `io` is read when sending (it exists after the app's start). */
export function socketOutlet(io: () => PodiumServer | undefined): SignalingOutlet {
  const to = (room: string) => ({
    emit: ((event: string, ...args: unknown[]) => {
      const server = io();
      if (server) (server.to(room).emit as (event: string, ...rest: unknown[]) => void)(event, ...args);
    }) as ReturnType<SignalingOutlet["peer"]>["emit"],
  });
  return {
    peer: (sessionId, peerId) => to(rooms.peer(sessionId, peerId)),
    presenters: (sessionId) => to(rooms.presenters(sessionId)),
    attendees: (sessionId) => to(rooms.attendees(sessionId)),
    session: (sessionId) => to(rooms.session(sessionId)),
  };
}

/** The inbound signaling events, each handed to the service (validated and rate-limited by the dispatcher). */
export function signalingHandlers(signaling: Signaling): { [E in SignalingEvent]: Handler<E> } {
  return {
    "media:ready": (socket) => signaling.ready(socket),
    "media:leave": async (socket) => {
      await signaling.leave(socket);
      return null;
    },
    "signal:description": (socket, payload) => signaling.description(socket, payload),
    "signal:candidate": (socket, payload) => signaling.candidate(socket, payload),
    "media:state": (socket, payload) => signaling.state(socket, payload),
    "media:stats": (socket, payload) => signaling.stats(socket, payload),
    "media:screen": (socket, payload) => signaling.screen(socket, payload),
  };
}

/**
 * The signaling budget per socket, with flood control's rules (a sustained rate plus a burst per ten seconds;
 * refused too often, disconnected): an attendee's, and a presenter's, which connects every attendee at once.
 */
export function signalingLimiters(
  config: Pick<Config["media"], "attendeeSignaling" | "presenterSignaling"> & {
    floodDisconnectAfter: number;
  },
): { limiters: EventLimiters; forget(socketId: string): void } {
  const flood = (budget: { eventsPerSecond: number; eventBurst: number }) =>
    createFloodControl(
      { ...budget, floodDisconnectAfter: config.floodDisconnectAfter, connectionsPerMinute: 1 },
      undefined,
    );
  const attendee = flood(config.attendeeSignaling);
  const presenter = flood(config.presenterSignaling);
  const of = (data: SocketData) => (data.role === "host" || data.role === "co_host" ? presenter : attendee);
  return {
    limiters: { signaling: (socket) => of(socket.data).allowEvent(socket.id) },
    forget(socketId) {
      attendee.forget(socketId);
      presenter.forget(socketId);
    },
  };
}
