import { useEffect, useMemo, useState } from "preact/hooks";
import type { SessionState } from "../../../src/lib/domain-events";
import type { Snapshot } from "../../../src/realtime/events";
import type { Connection } from "../ui/components";
import {
  applyTallies,
  emptyBoard,
  fromSnapshot,
  removeQuestion,
  setAttendees,
  upsertQuestion,
  type Board,
} from "./board";
import { connectSession, refusalCode, type PodiumSocket } from "./socket";

export interface LiveSession {
  socket: PodiumSocket;
  connection: Connection;
  session: SessionState | null;
  board: Board;
  setBoard: (update: (board: Board) => Board) => void;
  you: Snapshot["you"] | null;
  ended: "ended" | "deleted" | null;
  removed: "banned" | "removed" | null;
  /** The code of the last refused handshake (ATTENDEE_LEFT, SESSION_ENDED, …), until the next connection. */
  refused: string | null;
}

/**
 * One session as this page sees it, live: the socket, the session and its board from the snapshot every
 * connection starts with, then every event applied in version order (stale ones dropped). After a drop
 * Socket.io reconnects by itself and the new snapshot replaces what was held, so nothing missed stays missed.
 */
export function useLiveSession(auth: { sessionId: string; token?: string }): LiveSession {
  const socket = useMemo(() => connectSession(auth), [auth.sessionId, auth.token]);
  const [connection, setConnection] = useState<Connection>("connecting");
  const [session, setSession] = useState<SessionState | null>(null);
  const [board, setBoard] = useState<Board>(emptyBoard);
  const [you, setYou] = useState<Snapshot["you"] | null>(null);
  const [ended, setEnded] = useState<LiveSession["ended"]>(null);
  const [removed, setRemoved] = useState<LiveSession["removed"]>(null);
  const [refused, setRefused] = useState<string | null>(null);

  useEffect(() => {
    const newer = (next: SessionState) => (held: SessionState | null) =>
      held && held.version > next.version ? held : next;
    socket.on("connect", () => {
      setConnection("connected");
      setRefused(null);
    });
    socket.on("disconnect", () => setConnection("reconnecting"));
    socket.on("connect_error", (error) => {
      setConnection("reconnecting");
      const code = refusalCode(error);
      if (code) setRefused(code);
    });
    socket.on("session:snapshot", (snapshot) => {
      setSession(snapshot.session);
      setBoard(fromSnapshot(snapshot));
      setYou(snapshot.you);
    });
    socket.on("session:updated", (next) => setSession(newer(next)));
    socket.on("session:ended", ({ reason, session: last }) => {
      if (last) setSession(newer(last));
      setEnded(reason);
    });
    socket.on("attendees:count", (count) => setBoard((b) => setAttendees(b, count)));
    socket.on("question:created", (question) => setBoard((b) => upsertQuestion(b, question)));
    socket.on("question:updated", (question) => setBoard((b) => upsertQuestion(b, question)));
    socket.on("question:removed", ({ questionId }) => setBoard((b) => removeQuestion(b, questionId)));
    socket.on("question:tallies", ({ tallies }) => setBoard((b) => applyTallies(b, tallies)));
    socket.on("you:removed", ({ reason }) => setRemoved(reason));
    // Only now: Preact runs effects after the next frame, and a fast handshake could finish before it.
    socket.connect();
    return () => {
      socket.removeAllListeners();
      socket.close();
    };
  }, [socket]);

  return { socket, connection, session, board, setBoard, you, ended, removed, refused };
}
