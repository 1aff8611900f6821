/**
 * The signaling baseline: a raw Socket.io 4.8 relay with nothing of Podium in it. A socket joins the room of the
 * `auth.peerId` it claims within its `auth.sessionId` (no credential, no database, no validation);
 * `signal:description` and `signal:candidate` go to the room of their `to` in the sender's session, with `from`
 * set to the sender's peer id, and are acknowledged `{ok: true, data: null}`; `media:ready` answers
 * `{ok: true, data: {peerId}}`. What Podium adds on top of this is the measured difference.
 *
 *   PORT=… node --import tsx bench/signaling-raw.ts   → prints `signaling-raw ready <url>`; exits 0 on SIGTERM
 */
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.env.PORT ?? "0");
const host = process.env.HOST ?? "127.0.0.1";

const httpServer = createServer((_req, res) => res.writeHead(404).end());
const io = new Server(httpServer, { serveClient: false, maxHttpBufferSize: 64 * 1024 });

io.on("connection", (socket) => {
  const auth = socket.handshake.auth as { sessionId?: unknown; peerId?: unknown };
  const sessionId = String(auth.sessionId ?? "");
  const peerId = String(auth.peerId ?? "");
  void socket.join(`${sessionId}:${peerId}`);
  const relay =
    (event: string) => (payload: { to: string } & Record<string, unknown>, ack?: (a: unknown) => void) => {
      const { to, ...rest } = payload;
      io.to(`${sessionId}:${to}`).emit(event, { from: peerId, ...rest });
      ack?.({ ok: true, data: null });
    };
  socket.on("signal:description", relay("signal:description"));
  socket.on("signal:candidate", relay("signal:candidate"));
  socket.on("media:ready", (_payload: unknown, ack?: (a: unknown) => void) =>
    ack?.({ ok: true, data: { peerId } }),
  );
  socket.on("media:state", (_payload: unknown, ack?: (a: unknown) => void) =>
    ack?.({ ok: true, data: null }),
  );
});

httpServer.listen(port, host, () => {
  const address = httpServer.address();
  const bound = typeof address === "object" && address ? address.port : port;
  console.log(`signaling-raw ready http://${host}:${bound}`);
});

const stop = () => {
  io.local.disconnectSockets(true);
  io.close(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
