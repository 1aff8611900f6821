import { io, type Socket } from "socket.io-client";
import type {
  Ack,
  ClientToServerEvents,
  InboundEvent,
  InboundPayload,
  InboundResults,
  ServerToClientEvents,
} from "../../../src/realtime/events";

/** The server's own event maps (src/realtime/events.ts): one definition for both ends. */
export type PodiumSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A refused acknowledgement or handshake: the server's stable code and message (docs/REALTIME.md). */
export class SocketError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "SocketError";
  }
}

/**
 * One socket for one session, on this page's origin. Presenters are known by their cookie, attendees by their
 * token. Socket.io reconnects by itself (with backoff); every (re)connection starts with a `session:snapshot`.
 * It opens when `connect()` is called, once its listeners are on: a handshake answered before they are would
 * have its `connect` and snapshot emitted to nobody, and the page would wait for them for ever.
 */
export function connectSession(auth: { sessionId: string; token?: string }): PodiumSocket {
  return io({
    path: "/socket.io/",
    transports: ["websocket"],
    auth,
    autoConnect: false,
    withCredentials: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5_000,
  });
}

/** Sends an inbound event and resolves with its acknowledged data, or rejects with the server's code. */
export async function send<E extends InboundEvent>(
  socket: PodiumSocket,
  event: E,
  payload: InboundPayload<E>,
  timeoutMs = 10_000,
): Promise<InboundResults[E]> {
  const emitter = socket.timeout(timeoutMs) as unknown as {
    emitWithAck(event: string, payload: unknown): Promise<Ack<InboundResults[E]>>;
  };
  let answer: Ack<InboundResults[E]>;
  try {
    answer = await emitter.emitWithAck(event, payload);
  } catch {
    throw new SocketError("TIMEOUT", "The server did not answer in time.");
  }
  if (!answer.ok) throw new SocketError(answer.error.code, answer.error.message);
  return answer.data;
}

/** The code of a refused handshake (`connect_error` with `data: {code, message}`), if the server gave one. */
export function refusalCode(error: Error): string | null {
  const data = (error as Error & { data?: { code?: unknown } }).data;
  return typeof data?.code === "string" ? data.code : null;
}
