import type { Logger } from "pino";
import type { Server } from "socket.io";
import type { DomainEvent } from "../lib/domain-events.js";
import type { RealtimeMetrics } from "./metrics.js";
import {
  rooms,
  type AttendeeCount,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerToClientEvents,
  type SocketData,
} from "./events.js";

export type PodiumServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface Publisher {
  /** Called after the change committed: sends it to the session's rooms on every instance (through the adapter). */
  publish(event: DomainEvent): void;
  /** Sends what is waiting (coalesced counts) now; for shutdown and tests. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Turns domain events into socket messages. Counts are coalesced: a session whose count changed is marked, and
 * every `intervalMs` one query reads the marked sessions' counts from the database (so every instance's joins
 * are in it) and one message per session goes out. A storm of 1,000 joins is a handful of messages, not 1,000.
 */
export function createPublisher(deps: {
  io: PodiumServer;
  attendeeCounts: (sessionIds: string[]) => Promise<AttendeeCount[]>;
  intervalMs: number;
  logger: Logger;
  metrics: RealtimeMetrics;
}): Publisher {
  const { io, attendeeCounts, intervalMs, logger, metrics } = deps;
  /** Sessions whose count changed since the last flush, with when the first change was published. */
  const dirty = new Map<string, number>();
  let flushing: Promise<void> | null = null;

  const delivered = (event: string, since: number) => {
    metrics.eventsOut.inc({ event });
    metrics.publishLatency.observe({ event }, (performance.now() - since) / 1000);
  };

  async function flushCounts(): Promise<void> {
    if (dirty.size === 0) return;
    const batch = new Map(dirty);
    dirty.clear();
    try {
      for (const count of await attendeeCounts([...batch.keys()])) {
        io.to(rooms.session(count.sessionId)).emit("attendees:count", count);
        delivered("attendees:count", batch.get(count.sessionId)!);
      }
    } catch (error) {
      // The database is unreachable for a moment: try these again next round rather than lose them.
      for (const [sessionId, since] of batch) if (!dirty.has(sessionId)) dirty.set(sessionId, since);
      logger.warn({ err: error, sessions: batch.size }, "attendee counts not sent; retrying");
    }
  }

  const flush = () => {
    flushing ??= flushCounts().finally(() => {
      flushing = null;
    });
    return flushing;
  };
  const timer = setInterval(() => void flush(), intervalMs);
  timer.unref();

  function publish(event: DomainEvent): void {
    const since = performance.now();
    switch (event.type) {
      case "session.changed":
        io.to(rooms.session(event.session.id)).emit("session:updated", event.session);
        delivered("session:updated", since);
        return;
      case "session.ended":
      case "session.deleted": {
        const sessionId = event.type === "session.ended" ? event.session.id : event.sessionId;
        io.to(rooms.session(sessionId)).emit("session:ended", {
          sessionId,
          reason: event.type === "session.ended" ? "ended" : "deleted",
          session: event.type === "session.ended" ? event.session : null,
        });
        delivered("session:ended", since);
        // The adapter keeps one instance's messages in order, so attendees get the event before the close.
        io.in(rooms.attendees(sessionId)).disconnectSockets(true);
        if (event.type === "session.deleted") io.in(rooms.session(sessionId)).disconnectSockets(true);
        return;
      }
      case "attendee.joined":
        io.to(rooms.staff(event.sessionId)).emit("attendee:joined", {
          sessionId: event.sessionId,
          attendee: event.attendee,
        });
        delivered("attendee:joined", since);
        return;
      case "attendee.left":
        io.to(rooms.staff(event.sessionId)).emit("attendee:left", {
          sessionId: event.sessionId,
          attendeeId: event.attendeeId,
          reason: event.reason,
        });
        delivered("attendee:left", since);
        if (event.reason !== "left") {
          io.to(rooms.attendee(event.attendeeId)).emit("you:removed", {
            sessionId: event.sessionId,
            reason: event.reason,
          });
          delivered("you:removed", since);
        }
        // Whatever the reason, the attendee's sockets close: it has no seat any more.
        io.in(rooms.attendee(event.attendeeId)).disconnectSockets(true);
        return;
      case "attendees.changed":
        if (!dirty.has(event.sessionId)) dirty.set(event.sessionId, since);
        return;
      case "question.changed": {
        const { question, authorAttendeeId, created } = event;
        const everyone = rooms.session(question.sessionId);
        const staff = rooms.staff(question.sessionId);
        const author = authorAttendeeId ? rooms.attendee(authorAttendeeId) : null;
        const name = created ? "question:created" : "question:updated";
        if (question.status === "visible") {
          io.to(everyone).emit(name, question);
        } else {
          // Off the board: staff and its author keep seeing it; everyone else sees it go.
          io.to(author ? [staff, author] : staff).emit(name, question);
          if (!created) {
            io.to(everyone)
              .except(author ? [staff, author] : staff)
              .emit("question:removed", {
                sessionId: question.sessionId,
                questionId: question.id,
                reason: question.status === "withdrawn" ? "withdrawn" : "dismissed",
              });
          }
        }
        delivered(name, since);
        return;
      }
      case "question.deleted":
        io.to(rooms.session(event.sessionId)).emit("question:removed", {
          sessionId: event.sessionId,
          questionId: event.questionId,
          reason: "deleted",
        });
        delivered("question:removed", since);
        return;
      case "questions.tallied":
        io.to(rooms.session(event.sessionId)).emit("question:tallies", {
          sessionId: event.sessionId,
          tallies: event.tallies,
        });
        delivered("question:tallies", since);
        return;
    }
  }

  return {
    publish(event) {
      try {
        publish(event);
      } catch (error) {
        // The change is committed; a failed broadcast must not turn the request into an error.
        logger.warn({ err: error, event: event.type }, "real-time event not sent");
      }
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
