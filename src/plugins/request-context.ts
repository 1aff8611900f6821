import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { Logger } from "pino";
import { AppError } from "../lib/errors.js";
import { actorId } from "../modules/auth/actor.js";
import { sendProblem } from "./error-handler.js";

const REQUEST_ID_HEADER = "x-request-id";
// A caller's id is reused (so one id follows a request through a proxy) only if it is short and plain.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Fastify's genReqId: the caller's X-Request-Id when acceptable, otherwise a new UUID. */
export function requestId(request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === "string" && ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID();
}

/** Shared state of one running instance. */
export interface Lifecycle {
  shuttingDown: boolean;
}

/**
 * Per-request plumbing, kept to one hook on the way in and one on the way out because it runs on every request:
 * echoes the request id; while the instance drains, refuses new requests on open connections (503, closing the
 * connection) except health checks; writes one log line per request (method, route, status, actor, duration; the URL
 * without its query string, which can carry codes and tokens).
 */
async function requestContextPlugin(app: FastifyInstance, { lifecycle }: { lifecycle: Lifecycle }) {
  app.addHook("onRequest", (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    if (lifecycle.shuttingDown && !request.url.startsWith("/api/health")) {
      reply.header("connection", "close");
      sendProblem(
        reply,
        new AppError("SHUTTING_DOWN", 503, "This instance is shutting down; retry on another.", {
          headers: { "retry-after": "1" },
        }),
      );
      return;
    }
    done();
  });

  // The level is fixed for the process: with request lines off, the hook is not even registered.
  if (!(app.log as Logger).isLevelEnabled("info")) return;
  app.addHook("onResponse", (request, reply, done) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? "(unmatched)",
        path: request.url.split("?")[0],
        status: reply.statusCode,
        // Set once the auth plugin identified the caller: an id, never a credential or an email.
        actor: request.actor ? actorId(request.actor) : undefined,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      "request completed",
    );
    done();
  });
}

export default fp(requestContextPlugin, { name: "request-context" });
