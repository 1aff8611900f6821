import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import FindMyWay, { type HTTPMethod } from "find-my-way";
import { isConnectionError } from "../lib/connection-errors.js";
import { loggableError } from "../lib/loggable-error.js";
import { AppError, type FieldError } from "../lib/errors.js";
import { statusTitle } from "../lib/http-status.js";

/**
 * One error shape for the whole HTTP API: RFC 9457 `application/problem+json` with a stable `code`.
 * Everything that can go wrong on the way in (unknown route, wrong method, oversized or malformed body,
 * failed validation) and everything services throw ends up here; 5xx details are logged, never sent.
 */

declare module "fastify" {
  interface FastifyRequest {
    /**
     * A refusal decided late that answers before any other error the request ends with (the ask route's address
     * limit, awaited by its handler: see plugins/rate-limit.ts). Null when the request is within it. Asked once.
     */
    refusalFirst: (() => Promise<AppError | null>) | null;
  }
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json; charset=utf-8";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  /** Extension members of particular errors (RFC 9457 §3.2). */
  [member: string]: unknown;
}

/** Fastify's own client errors, by their code, mapped to ours. */
const FASTIFY_CLIENT_ERRORS: Record<string, { code: string; status: number; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: "PAYLOAD_TOO_LARGE",
    status: 413,
    detail: "The request body is too large.",
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: "UNSUPPORTED_MEDIA_TYPE",
    status: 415,
    detail: "The request body's Content-Type is not supported; send application/json.",
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: "MALFORMED_JSON",
    status: 400,
    detail: "The request body is not valid JSON.",
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: "MALFORMED_JSON",
    status: 400,
    detail: "The request has a JSON Content-Type but an empty body.",
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: "BAD_REQUEST",
    status: 400,
    detail: "The Content-Length header does not match the body.",
  },
  FST_ERR_BAD_URL: { code: "BAD_REQUEST", status: 400, detail: "The request URL is malformed." },
  FST_ERR_ASYNC_CONSTRAINT: { code: "BAD_REQUEST", status: 400, detail: "The request could not be routed." },
};

function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = (error as FastifyError).validationContext ?? "request";
    const errors = error.validation.map((issue) => ({
      path: [context, ...issue.instancePath.split("/").filter(Boolean)].join("."),
      message: issue.message ?? "is invalid",
    }));
    return new AppError("VALIDATION_FAILED", 400, "The request is not valid; see `errors`.", { errors });
  }
  const candidate = error as Partial<FastifyError> & { message?: string; cause?: unknown };
  const known = candidate.code ? FASTIFY_CLIENT_ERRORS[candidate.code] : undefined;
  if (known) return new AppError(known.code, known.status, known.detail);
  if (candidate.code === "57014") {
    return new AppError("DATABASE_TIMEOUT", 503, "The database took too long to answer; try again.", {
      headers: { "retry-after": "1" },
    });
  }
  if (isConnectionError(error)) {
    return new AppError("SERVICE_UNAVAILABLE", 503, "The database is unavailable; try again shortly.", {
      headers: { "retry-after": "5" },
    });
  }
  // Any other error Fastify marks as a client error (4xx) is the client's fault, with a generic code.
  if (typeof candidate.statusCode === "number" && candidate.statusCode >= 400 && candidate.statusCode < 500) {
    return new AppError("BAD_REQUEST", candidate.statusCode, statusTitle(candidate.statusCode));
  }
  return undefined;
}

/** The problem document for an error; `instance` and `requestId` when there is a request to name. */
export function toProblem(error: AppError, request?: FastifyRequest): Problem {
  return {
    // Extension members first: the standard ones below always win.
    ...error.extras.members,
    type: `https://podium.dev/problems/${error.code.toLowerCase().replaceAll("_", "-")}`,
    title: statusTitle(error.status),
    status: error.status,
    detail: error.detail,
    code: error.code,
    ...(request ? { instance: request.url.split("?")[0], requestId: request.id } : {}),
    ...(error.extras.errors ? { errors: error.extras.errors } : {}),
  };
}

/** Fastify's `frameworkErrors` option: errors raised before routing (a malformed URL) get the same shape. */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  return sendProblem(
    reply,
    toAppError(error) ?? new AppError("BAD_REQUEST", 400, "The request is malformed."),
  );
}

export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  for (const [name, value] of Object.entries(error.extras.headers ?? {})) reply.header(name, value);
  return (
    reply
      .code(error.status)
      .type(PROBLEM_CONTENT_TYPE)
      // A problem is never shaped by the route's response schema for that status.
      .serializer(JSON.stringify)
      .send(toProblem(error, reply.request))
  );
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser rejects before any route runs (headers too large,
 * a malformed request line) is answered in the same shape, on the raw socket.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const problem = toProblem(
    error.code === "HPE_HEADER_OVERFLOW"
      ? new AppError("HEADERS_TOO_LARGE", 431, "The request headers are too large.")
      : new AppError("BAD_REQUEST", 400, "The request is not valid HTTP."),
  );
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const METHODS: HTTPMethod[] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

async function errorHandlerPlugin(app: FastifyInstance) {
  app.decorateRequest("refusalFirst", null);
  // Every route's path, so an unmatched request can be told apart: unknown path (404) or wrong method (405).
  const routes = FindMyWay({ ignoreTrailingSlash: false });
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // CORS answers preflights on every path; that catch-all must not turn every 404 into a 405.
    if (route.url === "*" || route.url === "/*") return;
    for (const method of methods) {
      if (!METHODS.includes(method as HTTPMethod)) continue;
      try {
        routes.on(method as HTTPMethod, route.url, () => undefined);
      } catch {
        // A second registration of the same method and path (e.g. HEAD beside GET) is already known.
      }
    }
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "/";
    const allowed = METHODS.filter((method) => routes.find(method, path) !== null);
    if (allowed.length > 0) {
      reply.header("allow", allowed.join(", "));
      return sendProblem(
        reply,
        new AppError(
          "METHOD_NOT_ALLOWED",
          405,
          `${request.method} is not allowed on ${path}; use ${allowed.join(", ")}.`,
        ),
      );
    }
    return sendProblem(reply, new AppError("NOT_FOUND", 404, `No route matches ${request.method} ${path}.`));
  });

  app.setErrorHandler(async (error, request, reply) => {
    const first = request.refusalFirst ? await request.refusalFirst() : null;
    if (first) {
      // Answered with the earlier refusal, but a failure of ours it hides is still logged.
      const hidden = toAppError(error);
      if (!hidden || hidden.status >= 500)
        request.log.error({ err: loggableError(error) }, "unhandled error");
    }
    const known = first ?? toAppError(error);
    if (known && known.status < 500) {
      request.log.info({ code: known.code, status: known.status }, "request refused");
      return sendProblem(reply, known);
    }
    if (known) {
      request.log.warn(
        { err: loggableError(error), code: known.code },
        "request failed: dependency unavailable",
      );
      return sendProblem(reply, known);
    }
    request.log.error({ err: loggableError(error) }, "unhandled error");
    return sendProblem(
      reply,
      new AppError(
        "INTERNAL_ERROR",
        500,
        `Something went wrong on our side; quote request id ${request.id}.`,
      ),
    );
  });
}

export default fp(errorHandlerPlugin, { name: "error-handler" });
