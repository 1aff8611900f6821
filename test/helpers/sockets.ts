import { setTimeout as sleep } from "node:timers/promises";
import { io as connectClient, type Socket } from "socket.io-client";
import type { App } from "../../src/app.js";
import type { Ack, ClientToServerEvents, ServerToClientEvents } from "../../src/realtime/events.js";

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The app listening on a free port of 127.0.0.1 (sockets need a real server); resolves to its URL. */
export async function listen(app: App): Promise<string> {
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (!address || typeof address === "string") throw new Error("no address");
  return `http://127.0.0.1:${address.port}`;
}

/** Every event a client received, in order, with its payload. */
export interface Recorder {
  events: Array<{ event: string; payload: unknown }>;
  of<E extends keyof ServerToClientEvents>(event: E): Array<Parameters<ServerToClientEvents[E]>[0]>;
}

export interface Connected {
  socket: ClientSocket;
  received: Recorder;
}

/**
 * A WebSocket client of one session. Resolves once connected (with the first snapshot received), or rejects
 * with the connect_error's `data` ({code, message}).
 */
export async function connectSocket(
  url: string,
  options: {
    sessionId: string;
    token?: string;
    headers?: Record<string, string>;
    reconnection?: boolean;
  },
): Promise<Connected> {
  const socket: ClientSocket = connectClient(url, {
    transports: ["websocket"],
    auth: { sessionId: options.sessionId, ...(options.token ? { token: options.token } : {}) },
    extraHeaders: options.headers,
    reconnection: options.reconnection ?? false,
    forceNew: true,
  });
  const events: Recorder["events"] = [];
  socket.onAny((event: string, payload: unknown) => events.push({ event, payload }));
  const received: Recorder = {
    events,
    of: (event) => events.filter((e) => e.event === event).map((e) => e.payload) as never,
  };
  await new Promise<void>((resolve, reject) => {
    socket.once("connect_error", (error: Error & { data?: unknown }) => {
      socket.close();
      reject(Object.assign(new Error(error.message), { data: error.data }));
    });
    socket.once("session:snapshot", () => resolve());
  });
  return { socket, received };
}

/** The connect_error data of a refused connection (fails if it connects). */
export async function refusal(
  url: string,
  options: Parameters<typeof connectSocket>[1],
): Promise<{ code: string; message: string }> {
  try {
    const { socket } = await connectSocket(url, options);
    socket.close();
  } catch (error) {
    return (error as { data: { code: string; message: string } }).data;
  }
  throw new Error("the connection was accepted");
}

/** Emits with an acknowledgement; resolves to it. */
export function request<T = unknown>(
  socket: ClientSocket,
  event: string,
  ...args: unknown[]
): Promise<Ack<T>> {
  return new Promise((resolve) => {
    (socket.emit as (event: string, ...rest: unknown[]) => void)(event, ...args, resolve);
  });
}

/** Polls until `condition` holds; fails naming `what` after `timeoutMs`. */
export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() >= deadline) throw new Error(`${what}: not so within ${timeoutMs} ms`);
    await sleep(10);
  }
}
