import { AppError } from "../../lib/errors.js";
import type { Handler } from "../../realtime/dispatch.js";
import type { Sessions } from "./sessions.service.js";

/** `session:snapshot`: the state a client shows, for one that missed events (reconnected, or saw a gap). */
export function snapshotHandler(sessions: Pick<Sessions, "snapshot">): Handler<"session:snapshot"> {
  return async (socket) => {
    const snapshot = await sessions.snapshot(socket.sessionId);
    if (!snapshot) throw new AppError("SESSION_NOT_FOUND", 404, "Session not found.");
    return { ...snapshot, you: { role: socket.role, attendeeId: socket.attendeeId, peerId: socket.peerId } };
  };
}
