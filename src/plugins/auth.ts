import type { IncomingHttpHeaders } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { AppError } from "../lib/errors.js";
import { ANONYMOUS, type Actor } from "../modules/auth/actor.js";
import { CLIENT_IP_HEADER, SESSION_COOKIE, type Auth } from "../modules/auth/auth.instance.js";
import type { Authenticator, Credentials, EarlyAuthentication } from "../modules/auth/authenticator.js";
import type { AuthGeneration } from "../modules/auth/auth-generation.js";
import { authenticationRequired } from "../modules/auth/policy.js";
import { sendProblem } from "./error-handler.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Who sent the request; ANONYMOUS until the authenticate hook ran, and on routes under /api/auth. */
    actor: Actor;
    /** Authentication started in onRequest (a good attendee token, or a session token this instance read before). */
    earlyAuth: EarlyAuthentication | null;
  }
  interface FastifyContextConfig {
    /** false: the route reads its own credential (e.g. /api/metrics); the Authorization header is not ours. */
    authenticate?: false;
  }
  interface FastifyInstance {
    /** preHandler for routes that need some credential: 401 for anonymous callers. */
    requireActor: (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;
  }
}

export const AUTH_PREFIX = "/api/auth";
/** The sign-in steps: they create sessions and revoke none; stricter rate limits guard them. */
const SIGN_IN_PATH = /^\/api\/auth\/(sign-in|sign-up|dev\/sign-in|callback)([/?]|$)/;

/** Whether a request path (already normalised by authPath) is one of the sign-in steps. */
export function isSignInPath(path: string): boolean {
  return SIGN_IN_PATH.test(path);
}

/**
 * The path as better-auth will see it: dot segments resolved and no query, the way the WHATWG URL parser
 * treats the request URL it is handed. Decisions (rate limits, cache invalidation) must be made on this, not
 * on the raw URL, or `/api/auth/sign-in/../sign-out` would pass for a sign-in.
 */
export function authPath(url: string): string {
  return new URL(url, "http://podium.invalid").pathname;
}
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
// Response headers that Fastify computes itself for the body it sends.
const SKIPPED_RESPONSE_HEADERS = new Set([
  "set-cookie",
  "content-length",
  "content-encoding",
  "transfer-encoding",
]);

export interface AuthPluginOptions {
  auth: Auth;
  authenticator: Authenticator;
  generation: AuthGeneration;
  publicUrl: string;
  trustedOrigins: string[];
}

/**
 * Authentication at the HTTP edge: better-auth's routes under /api/auth/*, the actor of every other request
 * (resolved once, in a preHandler, from bearer token, API key or session cookie), and CSRF protection for
 * cookie-authenticated mutations (they must come from a trusted Origin; bearer and API-key requests are exempt
 * because a browser never attaches those on its own).
 */
async function authPlugin(app: FastifyInstance, options: AuthPluginOptions) {
  const { auth, authenticator } = options;
  const trusted = new Set(options.trustedOrigins);
  // Fastify refuses an object as a decorator default (it would be shared): null here, ANONYMOUS per request.
  app.decorateRequest("actor", null as never);
  app.decorateRequest("earlyAuth", null);
  /** Whether the preHandler below authenticates this request (better-auth's own routes read their credentials). */
  const authenticates = (request: FastifyRequest) => {
    const { headers } = request;
    if (!headers.authorization && !headers["x-api-key"] && !headers.cookie) return false;
    return !request.url.startsWith(`${AUTH_PREFIX}/`) && request.routeOptions.config.authenticate !== false;
  };

  app.addHook("onRequest", (request, reply, done) => {
    request.actor = ANONYMOUS;
    if (
      !SAFE_METHODS.has(request.method) &&
      isCookieOnly(request.headers) &&
      !originTrusted(request, trusted)
    ) {
      sendProblem(
        reply,
        new AppError(
          "CSRF_ORIGIN_REJECTED",
          403,
          "A request authenticated by cookie must come from a trusted origin (Origin header); use a bearer token otherwise.",
        ),
      );
      return;
    }
    // Shared onRequest hooks run before the routes' own, so this starts before the IP limit (a route hook) waits
    // for its answer: with Redis, the auth generation's read and the limit's travel together.
    if (authenticates(request))
      request.earlyAuth = authenticator.early(credentialsOf(request.headers)) ?? null;
    done();
  });

  // Callback style on purpose: most requests carry no credential, and those should not pay for a promise.
  app.addHook("preHandler", (request, _reply, done) => {
    // Started in onRequest: that hook already decided this request authenticates (and read routeOptions, a getter
    // that builds a new object on every read).
    const early = request.earlyAuth;
    if (!early && !authenticates(request)) return done();
    const actor = early?.actor ?? authenticator.authenticate(credentialsOf(request.headers));
    actor.then((resolved) => {
      request.actor = resolved;
      done();
    }, done);
  });

  app.decorate(
    "requireActor",
    (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
      done(request.actor.kind === "anonymous" ? authenticationRequired() : undefined);
    },
  );

  app.route({
    method: ["GET", "POST"],
    url: `${AUTH_PREFIX}/*`,
    schema: { hide: true },
    handler: async (request, reply) => {
      const path = authPath(request.url);
      // Ours (/api/api-keys) is the API for keys: it enforces scopes and the per-user cap.
      if (path.startsWith(`${AUTH_PREFIX}/api-key/`)) {
        throw new AppError(
          "NOT_FOUND",
          404,
          `No route matches ${request.method} ${path}; use /api/api-keys.`,
        );
      }
      // Only a successful request with a credential can have revoked something: anonymous POSTs cannot flush
      // every instance's cache.
      const mayChange =
        request.method === "POST" &&
        !isSignInPath(path) &&
        Boolean(request.headers.cookie || request.headers.authorization);
      // After the change is made and before the client hears of it: a session read racing a sign-out must not
      // be cached as valid, and a client must not reach another instance that still trusts the old session.
      const afterSuccess = mayChange
        ? () =>
            options.generation.bump().catch((error: unknown) => {
              request.log.warn(
                { err: error },
                "auth generation not changed: other instances may reuse session reads",
              );
            })
        : undefined;
      await forwardToAuth(auth, options.publicUrl, request, reply, afterSuccess);
      return reply;
    },
  });
}

async function forwardToAuth(
  auth: Auth,
  publicUrl: string,
  request: FastifyRequest,
  reply: FastifyReply,
  afterSuccess?: () => Promise<void>,
) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name === CLIENT_IP_HEADER) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  // The address Fastify trusts (TRUST_PROXY decides), never one the caller claims.
  headers.set(CLIENT_IP_HEADER, request.ip);
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const response = await auth.handler(
    new Request(new URL(request.url, publicUrl), { method: request.method, headers, body }),
  );

  if (response.status >= 500) {
    // better-auth answers some internal failures with an empty 500: ours logs them and answers problem+json.
    throw new Error(
      `better-auth answered ${response.status} on ${request.routeOptions.url ?? "/api/auth/*"}`,
    );
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) reply.header("set-cookie", cookies);
  if (response.status >= 400 && response.headers.get("content-type")?.includes("json")) {
    // One error shape for the whole API: better-auth's {code, message} becomes problem+json.
    const failure = (await response.json().catch(() => ({}))) as { code?: unknown; message?: unknown };
    const code = typeof failure.code === "string" && failure.code ? failure.code : "AUTH_ERROR";
    const detail = typeof failure.message === "string" ? failure.message : "Authentication failed.";
    // A refusal of ours inside better-auth (a removal hook's 409 SESSION_BUSY) keeps its Retry-After.
    const retryAfter = response.headers.get("retry-after");
    const extras = retryAfter ? { headers: { "retry-after": retryAfter } } : {};
    return sendProblem(reply, new AppError(code, response.status, detail, extras));
  }
  if (response.status < 400) await afterSuccess?.();
  response.headers.forEach((value, name) => {
    if (!SKIPPED_RESPONSE_HEADERS.has(name)) reply.header(name, value);
  });
  reply.status(response.status);
  return reply.send(response.body ? Buffer.from(await response.arrayBuffer()) : null);
}

function credentialsOf(headers: IncomingHttpHeaders): Credentials {
  const key = headers["x-api-key"];
  return {
    authorization: headers.authorization,
    apiKey: typeof key === "string" ? key : undefined,
    cookie: headers.cookie,
  };
}

/** A request whose only credential is our session cookie: the kind a browser sends on its own (CSRF). */
function isCookieOnly(headers: IncomingHttpHeaders): boolean {
  return Boolean(headers.cookie?.includes(SESSION_COOKIE)) && !headers.authorization && !headers["x-api-key"];
}

function originTrusted(request: FastifyRequest, trusted: Set<string>): boolean {
  const origin = request.headers.origin ?? refererOrigin(request.headers.referer);
  return origin !== undefined && trusted.has(origin);
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

export default fp(authPlugin, { name: "auth", dependencies: ["error-handler"] });

/** OpenAPI `security` of routes open to every kind of credential, and of those for signed-in users only. */
export const ANY_CREDENTIAL: Array<Record<string, string[]>> = [
  { bearer: [] },
  { cookie: [] },
  { apiKey: [] },
];
export const USER_CREDENTIAL: Array<Record<string, string[]>> = [{ bearer: [] }, { cookie: [] }];
