import type { IncomingMessage, Server as HttpServer } from "node:http";
import proxyAddr from "@fastify/proxy-addr";
import { createAdapter } from "@socket.io/redis-adapter";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { Server, type Socket } from "socket.io";
import { z } from "zod";
import type { Config } from "../config/env.js";
import { AppError } from "../lib/errors.js";
import type { Authenticator } from "../modules/auth/authenticator.js";
import { decideSession } from "../modules/auth/policy.js";
import type { Attendance } from "../modules/attendees/attendees.join.js";
import type { SessionAccess } from "../modules/sessions/session-access.service.js";
import type { Sessions } from "../modules/sessions/sessions.service.js";
import { presenterPeerId } from "../modules/signaling/signaling.service.js";
import type { SnapshotOf } from "./snapshot.js";
import { createDispatcher, type EventLimiters, type Handlers } from "./dispatch.js";
import {
  rooms,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerToClientEvents,
  type SocketData,
  type SocketRole,
} from "./events.js";
import { createFloodControl } from "./flood.js";
import { createRealtimeMetrics, SOCKET_ROLES } from "./metrics.js";
import { createPublisher, type PodiumServer, type Publisher } from "./publish.js";

/** Engine-level cap on one message: the largest legitimate payload is an SDP offer (see events.ts caps). */
const MAX_MESSAGE_BYTES = 64 * 1024;

export type PodiumSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface Realtime {
  io: PodiumServer;
  publisher: Publisher;
  /** Disconnects this instance's sockets and stops; before the HTTP server closes. */
  close(): Promise<void>;
}

export interface RealtimeDeps {
  httpServer: HttpServer;
  config: Pick<Config, "realtime" | "presence" | "trustProxy"> & {
    auth: Pick<Config["auth"], "trustedOrigins">;
    redis: Pick<Config["redis"], "url">;
  };
  redis: Redis | undefined;
  logger: Logger;
  registry: Registry;
  authenticator: Authenticator;
  sessionAccess: SessionAccess;
  sessions: Pick<Sessions, "attendeeCounts">;
  /** The state sent to every socket on connecting (see snapshot.ts). */
  snapshotOf: SnapshotOf;
  attendance: Pick<Attendance, "socketConnected" | "socketDisconnected" | "keepAlive">;
  /** Inbound event handlers, by event: each module contributes its own (sessions.socket.ts, …). */
  handlers: Handlers;
  /** Budgets of their own for some inbound events (signaling), beside the socket's REALTIME_* budget. */
  limiters?: EventLimiters;
  /**
   * Called after each socket closed; `lastOfPeer`: no socket of its WebRTC peer id is left on this instance
   * (signaling cleans the peer up).
   */
  onSocketClosed?: (socket: { id: string; data: SocketData }, lastOfPeer: boolean) => void;
}

const handshakeAuth = z.object({ sessionId: z.uuid(), token: z.string().min(1).max(4096).optional() });

/**
 * Socket.io on the app's HTTP server. One namespace, one room per session (plus staff, attendees and one per
 * attendee): see docs/REALTIME.md for why rooms rather than a namespace per session. With REDIS_URL the Redis
 * adapter carries every broadcast and every `disconnectSockets` between instances.
 */
export function createRealtime(deps: RealtimeDeps): Realtime {
  const { config, logger, registry, authenticator, sessionAccess, sessions, attendance } = deps;
  const trustedOrigins = new Set(config.auth.trustedOrigins);
  const io: PodiumServer = new Server(deps.httpServer, {
    maxHttpBufferSize: MAX_MESSAGE_BYTES,
    cors: { origin: [...trustedOrigins], credentials: true },
    serveClient: false,
  });
  const redisClients: Redis[] = [];
  if (deps.redis && config.redis.url) {
    // Subscriptions need a connection of their own; publishing shares the app's settings (fail fast when down).
    const pub = deps.redis.duplicate({ connectionName: "podium-io-pub" });
    // Subscribing waits for the connection however long it takes (no command timeout): a slow start must not
    // fail the subscription.
    const sub = deps.redis.duplicate({
      connectionName: "podium-io-sub",
      enableOfflineQueue: true,
      commandTimeout: undefined,
    });
    for (const client of [pub, sub]) client.on("error", () => undefined);
    // The adapter neither awaits nor catches its publish and subscribe calls: a timed-out or refused command
    // (Redis slow or down) would be an unhandled rejection, which stops the process. Such a broadcast is lost for
    // the other instances, as with any Redis outage; this instance's sockets still get it.
    for (const [client, commands] of [
      [pub, ["publish"]],
      [sub, ["psubscribe", "subscribe"]],
    ] as const) {
      for (const command of commands) {
        const send = client[command].bind(client) as (...args: unknown[]) => Promise<unknown>;
        (client as unknown as Record<string, unknown>)[command] = (...args: unknown[]) => {
          const sent = send(...args);
          sent.catch(() => undefined);
          return sent;
        };
      }
    }
    redisClients.push(pub, sub);
    io.adapter(createAdapter(pub, sub, { key: "podium:io" }));
  }
  const metrics = createRealtimeMetrics(registry);
  for (const role of SOCKET_ROLES) metrics.sockets.set({ role }, 0);
  const flood = createFloodControl(config.realtime, deps.redis);
  const publisher = createPublisher({
    io,
    attendeeCounts: sessions.attendeeCounts,
    intervalMs: config.realtime.coalesceMs,
    logger,
    metrics,
  });
  const clientIp = clientIpOf(config.trustProxy);

  io.use((socket, next) => {
    authorizeHandshake(socket as PodiumSocket).then(
      () => next(),
      (error: unknown) => {
        const refusal = toAppError(error, logger);
        metrics.connectionsRefused.inc({ code: refusal.code });
        next(
          Object.assign(new Error(refusal.detail), { data: { code: refusal.code, message: refusal.detail } }),
        );
      },
    );
  });

  async function authorizeHandshake(socket: PodiumSocket): Promise<void> {
    const { headers } = socket.handshake;
    // A browser always sends its page's origin: one not on the allowlist is a cross-site hijack attempt
    // riding on the victim's cookie. Clients that are not browsers send none.
    if (headers.origin !== undefined && !trustedOrigins.has(headers.origin)) {
      throw new AppError("ORIGIN_NOT_ALLOWED", 403, "This origin may not connect.");
    }
    const ip = clientIp(socket.request);
    const wait = await flood.allowConnection(ip);
    if (wait > 0) throw new AppError("RATE_LIMITED", 429, `Too many connections; retry in ${wait} s.`);
    const parsed = handshakeAuth.safeParse(socket.handshake.auth);
    if (!parsed.success) {
      throw new AppError("INVALID_HANDSHAKE", 400, "Connect with auth: { sessionId, token? }.");
    }
    const { sessionId, token } = parsed.data;
    const actor = await authenticator.authenticate({
      authorization: token ? `Bearer ${token}` : headerValue(headers.authorization),
      apiKey: headerValue(headers["x-api-key"]),
      cookie: headerValue(headers.cookie),
    });
    if (actor.kind === "anonymous") {
      throw new AppError("UNAUTHENTICATED", 401, "Connect with a token or a signed-in session.");
    }
    if (actor.kind === "attendee") {
      // An attendee token opens its own session only; another session does not exist for it.
      if (actor.sessionId !== sessionId) throw new AppError("SESSION_NOT_FOUND", 404, "Session not found.");
      const { peerId } = await attendance.socketConnected(actor);
      socket.data = {
        sessionId,
        role: "attendee",
        staff: false,
        attendeeId: actor.attendeeId,
        peerId,
        actor,
        ip,
      };
      return;
    }
    const relations = await sessionAccess.authorize(actor, "session.read", sessionId);
    const role: SocketRole = relations.sessionRole ?? "viewer";
    const staff = decideSession(actor, "attendees.read", relations).allowed;
    // Hosts and co-hosts broadcast media: a WebRTC peer id, the same each time they connect to this session.
    const presenter = (role === "host" || role === "co_host") && "userId" in actor;
    const peerId = presenter ? presenterPeerId(sessionId, actor.userId) : null;
    socket.data = { sessionId, role, staff, attendeeId: null, peerId, actor, ip };
  }

  const dispatch = createDispatcher({
    handlers: deps.handlers,
    flood,
    metrics,
    logger,
    limiters: deps.limiters,
  });
  /** Open sockets per attendee on this instance: presence changes when the first opens and the last closes. */
  const attendeeSockets = new Map<string, number>();

  io.on("connection", (socket) => {
    const { data } = socket;
    void socket.join(
      [
        rooms.session(data.sessionId),
        data.staff ? rooms.staff(data.sessionId) : null,
        data.attendeeId ? rooms.attendees(data.sessionId) : null,
        data.attendeeId ? rooms.attendee(data.attendeeId) : null,
        data.peerId ? rooms.peer(data.sessionId, data.peerId) : null,
        data.role === "host" || data.role === "co_host" ? rooms.presenters(data.sessionId) : null,
      ].filter((room): room is string => room !== null),
    );
    metrics.sockets.inc({ role: data.role });
    if (data.attendeeId)
      attendeeSockets.set(data.attendeeId, (attendeeSockets.get(data.attendeeId) ?? 0) + 1);
    socket.use(dispatch(socket));
    deps.snapshotOf(data).then(
      (snapshot) => {
        if (!snapshot) return void socket.disconnect(true);
        socket.emit("session:snapshot", snapshot);
      },
      (error: unknown) => logger.warn({ err: error }, "snapshot on connect not sent"),
    );

    socket.on("disconnect", () => {
      metrics.sockets.dec({ role: data.role });
      flood.forget(socket.id);
      if (deps.onSocketClosed) {
        // The socket has left its rooms by now: another socket of the same peer keeps the room alive.
        const peerRoom = data.peerId ? rooms.peer(data.sessionId, data.peerId) : null;
        deps.onSocketClosed(socket, peerRoom ? !io.of("/").adapter.rooms.has(peerRoom) : true);
      }
      const { attendeeId, actor } = data;
      if (!attendeeId || actor.kind !== "attendee") return;
      const left = (attendeeSockets.get(attendeeId) ?? 1) - 1;
      if (left > 0) return void attendeeSockets.set(attendeeId, left);
      attendeeSockets.delete(attendeeId);
      attendance
        .socketDisconnected(actor)
        .catch((error: unknown) => logger.warn({ err: error }, "attendee disconnect not recorded"));
    });
  });

  // Attendees with an open socket are alive: refresh them well within the grace period, in one statement.
  const keepAlive = setInterval(
    () => {
      if (attendeeSockets.size === 0) return;
      attendance
        .keepAlive([...attendeeSockets.keys()])
        .catch((error: unknown) => logger.warn({ err: error }, "presence keep-alive failed"));
    },
    Math.max(1_000, Math.min(config.presence.graceMs / 3, 20_000)),
  );
  keepAlive.unref();

  let closing: Promise<void> | undefined;
  return {
    io,
    publisher,
    close() {
      closing ??= (async () => {
        clearInterval(keepAlive);
        // This instance's sockets only: the others keep theirs.
        io.local.disconnectSockets(true);
        await publisher.close();
        io.engine.close();
        await Promise.resolve(io.of("/").adapter.close());
        await Promise.all(redisClients.map((client) => client.quit().catch(() => undefined)));
      })();
      return closing;
    },
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function toAppError(error: unknown, logger: Logger): AppError {
  if (error instanceof AppError) return error;
  logger.error({ err: error }, "socket handshake failed");
  return new AppError("INTERNAL", 500, "The connection could not be set up; try again.");
}

/** The client's address by the same trust rule as the HTTP side (TRUST_PROXY). */
function clientIpOf(trustProxy: Config["trustProxy"]): (request: IncomingMessage) => string {
  if (trustProxy === false) return (request) => request.socket.remoteAddress ?? "unknown";
  const trust =
    typeof trustProxy === "number"
      ? (_address: string, hop: number) => hop < trustProxy
      : proxyAddr.compile(trustProxy.split(",").map((part) => part.trim()));
  return (request) => proxyAddr(request, trust);
}
