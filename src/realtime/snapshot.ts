import { AppError } from "../lib/errors.js";
import type { Questions } from "../modules/questions/questions.service.js";
import type { Sessions } from "../modules/sessions/sessions.service.js";
import type { Handler } from "./dispatch.js";
import type { Snapshot, SocketData } from "./events.js";

export type SnapshotOf = (socket: SocketData) => Promise<Snapshot | null>;

/**
 * The whole state a client shows, for this socket's viewer: the session, its attendee count, the Q&A board
 * (with the viewer's own pending questions and votes; pending ones too for staff). Sent on every connection
 * and answered to `session:snapshot`; a client replaces its state with it.
 */
export function createSnapshots(deps: {
  sessions: Pick<Sessions, "snapshot">;
  questions: Pick<Questions, "board">;
}): SnapshotOf {
  return async (socket) => {
    const [state, questions] = await Promise.all([
      deps.sessions.snapshot(socket.sessionId),
      deps.questions.board(socket.actor, socket.sessionId, socket.staff),
    ]);
    if (!state) return null;
    return {
      ...state,
      questions,
      you: { role: socket.role, attendeeId: socket.attendeeId, peerId: socket.peerId },
    };
  };
}

/** `session:snapshot`: for a client that missed events (reconnected, or saw a gap in versions). */
export function snapshotHandler(snapshotOf: SnapshotOf): Handler<"session:snapshot"> {
  return async (socket) => {
    const snapshot = await snapshotOf(socket);
    if (!snapshot) throw new AppError("SESSION_NOT_FOUND", 404, "Session not found.");
    return snapshot;
  };
}
