/**
 * The real-time baseline: a raw Socket.io 4.8 server with nothing of Podium in it. A socket joins the room of
 * the `auth.sessionId` it sends (no credential) and gets a small `session:snapshot`;
 * `POST /broadcast/:sessionId?event=<name>` parses its JSON body and does `io.to(room).emit(name, body)` (name
 * `session:updated` when not given), then answers 204. With REDIS_URL, `@socket.io/redis-adapter` on ioredis (key RAW_ADAPTER_KEY, not Podium's) carries
 * broadcasts to the other instances. GET /stats: `{sockets}` connected to this instance.
 *
 * With RAW_DATABASE_URL, `POST /broadcast/:sessionId?event=<name>&durable=1` first commits the body to PostgreSQL
 * (one prepared INSERT into `bench_raw_writes`, autocommit, the server's `synchronous_commit`) and emits after the
 * commit, as a write-then-publish service must: the cost of a durable write alone, next to raw Socket.io and Podium.
 *
 *   PORT=… [REDIS_URL=…] [RAW_DATABASE_URL=…] node --import tsx bench/realtime-raw.ts
 *
 * Prints `realtime-raw ready <url>` once it listens; exits 0 on SIGTERM after closing.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import pg from "pg";
import { Server } from "socket.io";

/** The raw servers' adapter prefix: their Redis traffic never reaches Podium's `podium:io` subscribers. */
const RAW_ADAPTER_KEY = "bench-raw:io";

const port = Number(process.env.PORT ?? "0");
const host = process.env.HOST ?? "127.0.0.1";

const room = (sessionId: string) => `session:${sessionId}`;

/** One connection, as Podium's pool mostly uses one at 20 Hz: the durable writes, in order. */
const database = process.env.RAW_DATABASE_URL
  ? new pg.Client({ connectionString: process.env.RAW_DATABASE_URL })
  : undefined;
const WRITE = {
  name: "bench_raw_write",
  text: "insert into bench_raw_writes (room, payload) values ($1, $2::jsonb)",
};

function handle(req: IncomingMessage, res: ServerResponse): void {
  const match = /^\/broadcast\/([^/?]+)(?:\?event=([^&]+))?(&durable=1)?$/.exec(req.url ?? "");
  if (req.method === "POST" && match) {
    const durable = match[3] !== undefined;
    if (durable && !database) {
      res.writeHead(501).end();
      return;
    }
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (text += chunk));
    req.on("end", () => {
      let payload: unknown;
      try {
        payload = JSON.parse(text);
      } catch {
        res.writeHead(400).end();
        return;
      }
      const emit = () => {
        io.to(room(match[1]!)).emit(decodeURIComponent(match[2] ?? "session:updated"), payload);
        res.writeHead(204).end();
      };
      if (!durable) return emit();
      database!.query({ ...WRITE, values: [room(match[1]!), text] }).then(emit, (error: unknown) => {
        console.error(`realtime-raw: write failed: ${String(error)}`);
        res.writeHead(500).end();
      });
    });
    return;
  }
  if (req.method === "GET" && req.url === "/stats") {
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ sockets: io.of("/").sockets.size }));
    return;
  }
  if (req.method === "GET" && req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    return;
  }
  res.writeHead(404).end();
}

const httpServer = createServer(handle);
// Fastify's default, as Podium has: with node:http's 5 s, a trigger sent on a keep-alive connection idle between
// rounds could meet the server closing it (ECONNRESET), a lost change that was the harness's, not Socket.io's.
httpServer.keepAliveTimeout = 72_000;
const io = new Server(httpServer, { serveClient: false, maxHttpBufferSize: 64 * 1024 });
const redisClients: Redis[] = [];
if (process.env.REDIS_URL) {
  const pub = new Redis(process.env.REDIS_URL);
  const sub = pub.duplicate();
  redisClients.push(pub, sub);
  io.adapter(createAdapter(pub, sub, { key: RAW_ADAPTER_KEY }));
}

io.on("connection", (socket) => {
  const sessionId = String((socket.handshake.auth as { sessionId?: unknown }).sessionId ?? "");
  void socket.join(room(sessionId));
  socket.emit("session:snapshot", { sessionId });
});

if (database) {
  await database.connect();
  await database.query(
    "create table if not exists bench_raw_writes (id bigserial primary key, room text not null, payload jsonb not null, at timestamptz not null default now())",
  );
}

httpServer.listen(port, host, () => {
  const address = httpServer.address();
  const bound = typeof address === "object" && address ? address.port : port;
  console.log(`realtime-raw ready http://${host}:${bound}`);
});

const stop = () => {
  io.local.disconnectSockets(true);
  io.close(() => {
    const closing = [
      ...redisClients.map((c) => c.quit().catch(() => undefined)),
      // Another raw instance may have dropped it already.
      database
        ?.query("drop table if exists bench_raw_writes")
        .catch(() => undefined)
        .then(() => database.end()),
    ];
    Promise.all(closing).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
