import rateLimitPlugin from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { Redis } from "ioredis";
import type { Config } from "../config/env.js";
import { AppError } from "../lib/errors.js";
import { actorId, type Actor } from "../modules/auth/actor.js";
import { authPath, isSignInPath } from "./auth.js";
import { createSlidingWindowStore } from "./rate-limit.store.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The route limits attendees with a stricter limit of its own (asking: the questions-per-minute allowance, the
     * same whatever the transport): an attendee's requests to it are not also counted against the per-actor
     * limit, as a route with a `rateLimit` of its own is not also counted against the per-address one. Any other
     * actor is counted as everywhere, and so is an attendee's request that fails (`limitActor`).
     */
    attendeesLimitedByRoute?: true;
    /** Set by this plugin on the routes the per-address limit guards (every route without a `rateLimit` of its own). */
    addressLimited?: true;
    /**
     * The route's handler waits for the per-address limit itself (`request.refusalFirst`), before it reads or
     * writes anything, instead of the route's last onRequest hook: the body is parsed and validated while the answer
     * is on its way (with Redis, a round trip). Its refusal still comes first: the error handler answers with it
     * whatever else the request ended with.
     */
    addressLimitAwaitedByHandler?: true;
  }
  interface FastifyRequest {
    /** The per-address limit's answer, asked in this plugin's onRequest hook (null: the route has no such limit). */
    addressLimit: Promise<RateLimitResult> | null;
    /** The per-actor limit asked in onRequest for the actor the credential most likely is (see `early`). */
    earlyActorLimit: { key: string; answer: Promise<RateLimitResult> } | null;
  }
  interface FastifyInstance {
    /**
     * Counts the request against its actor's limit now; rejects with the 429 when the actor is over it. For routes
     * that limit attendees themselves (`attendeesLimitedByRoute`): an attendee's request that the route's own limit
     * does not count (or gives back) is counted here, so that it cannot be repeated without bound.
     */
    limitActor(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  }
}

type RateLimitResult = Awaited<ReturnType<ReturnType<FastifyInstance["createRateLimit"]>>>;
type HookDone = (error?: Error) => void;

export interface RateLimitOptions {
  config: Config["rateLimit"];
  redis?: Redis;
}

/**
 * Sliding-window limits per client address on every request, stricter on sign-in routes, before any work: the
 * route's last onRequest hook waits for the answer, so a refused request is never parsed. Counters live in
 * Redis when configured, so several instances share them; in memory otherwise. The address is the one Fastify
 * trusts (TRUST_PROXY), with IPv6 clients counted per /64 (one subscriber's usual allocation, which an abuser
 * could otherwise walk through) and IPv4-mapped IPv6 as IPv4: `@fastify/rate-limit`'s default key. Answers 429
 * problem+json with Retry-After and the IETF RateLimit-* headers. If Redis fails, requests pass (fail open): an
 * outage of the cache must not take the API down with it.
 *
 * The limit is asked in a shared onRequest hook, which runs before the authentication's and the per-actor
 * limit's: with Redis the three asks leave together, and only then does the route wait (one round trip, not
 * three in a row). Routes with a `rateLimit` of their own get `@fastify/rate-limit`'s hook instead.
 */
async function ipRateLimit(app: FastifyInstance, { config, redis }: RateLimitOptions) {
  await app.register(rateLimitPlugin, {
    global: false,
    hook: "onRequest",
    timeWindow: config.windowMs,
    store: createSlidingWindowStore({ redis, prefix: "podium:rl:" }),
    skipOnError: true,
    enableDraftSpec: true,
    errorResponseBuilder: (_request, context) => tooManyRequests(context.ttl),
  });
  // Each its own count (keys podium:rl:group:<id>:{address}), as the two limits always were.
  const perAddress = limiter(app, "address", config.ipMax, config.windowMs);
  const perAddressSignIn = limiter(app, "sign-in", config.signInMax, config.windowMs);

  app.decorateRequest("addressLimit", null);
  app.addHook("onRoute", (route) => {
    // A HEAD route Fastify derives from a GET comes here with the GET's options, already marked.
    if (route.config?.rateLimit != null || route.config?.addressLimited) return;
    route.config = { ...route.config, addressLimited: true };
    if (route.config.addressLimitAwaitedByHandler) return;
    // After the route's own onRequest hooks, as the plugin's hook was: those only start asks of their own (the
    // question route's allowance), which then travel with this one.
    route.onRequest = [...[route.onRequest ?? []].flat(), awaitAddressLimit];
  });
  const ask = (request: FastifyRequest) => (isSignIn(request) ? perAddressSignIn : perAddress)(request);
  app.addHook("onRequest", (request, reply, done) => {
    const { config } = request.routeOptions;
    if (config.addressLimited) {
      const answer = ask(request);
      answer.catch(() => undefined);
      request.addressLimit = answer;
      if (config.addressLimitAwaitedByHandler) {
        let refusal: Promise<AppError | null> | null = null;
        // The limit's 429, its RateLimit-* headers set on the reply, or null: see `refusalFirst` (error-handler.ts).
        request.refusalFirst = () =>
          (refusal ??= new Promise((resolve) =>
            // Redis failing lets the request pass (fail open), as in the hook.
            applyLimit(answer, reply, (error) => resolve(error instanceof AppError ? error : null)),
          ));
      }
    }
    done();
  });

  function awaitAddressLimit(request: FastifyRequest, reply: FastifyReply, done: HookDone) {
    // Asked in the shared hook above for every request to this route; asking here too keeps the limit should
    // that hook ever not have run.
    applyLimit(request.addressLimit ?? ask(request), reply, done);
  }
}

/**
 * A limiter of the plugin's store whose keys are scoped by `groupId`: the plugin reads that option in
 * `createRateLimit` too (it hands it to the store's `child()`), though its types list it on route options only.
 * The default key, the trusted address (IPv6 per /64), is computed without an await, so with Redis the ask
 * leaves inside the hook that makes it.
 */
function limiter(app: FastifyInstance, groupId: string, max: number, timeWindow: number) {
  type Options = NonNullable<Parameters<FastifyInstance["createRateLimit"]>[0]>;
  return app.createRateLimit({ groupId, max, timeWindow } as Options & { groupId: string });
}

/** A limit's answer as the response sees it: the RateLimit-* headers, and the 429 when over the limit. */
function applyLimit(answer: Promise<RateLimitResult>, reply: FastifyReply, done: HookDone) {
  answer.then((result) => {
    if (result.isAllowed) return done();
    const resetSeconds = Math.max(1, result.ttlInSeconds);
    reply.header("ratelimit-limit", result.max);
    reply.header("ratelimit-remaining", result.remaining);
    reply.header("ratelimit-reset", resetSeconds);
    done(result.isExceeded ? tooManyRequests(result.ttl) : undefined);
  }, done);
}

function tooManyRequests(ttlMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
  return new AppError("RATE_LIMITED", 429, `Too many requests; retry in ${seconds} seconds.`, {
    headers: { "retry-after": String(seconds) },
  });
}

/**
 * The per-actor limit (user, API key or attendee), applied after authentication so one account cannot
 * exceed it by spreading requests over many addresses. Registered after the auth plugin: its preHandler
 * must run once the actor is known. Not on an attendee's requests to a route that limits attendees itself
 * (`config.attendeesLimitedByRoute`).
 */
async function actorRateLimit(app: FastifyInstance, { config }: RateLimitOptions) {
  // createRateLimit, not rateLimit(): the latter's handler skips requests the IP limit already counted. Its keys
  // live in the plugin's store (a `store` option here would be ignored), scope podium:rl:limiter:.
  const check = app.createRateLimit({
    max: config.actorMax,
    timeWindow: config.windowMs,
    keyGenerator: (request) => actorId(request.actor) ?? `ip:${request.ip}`,
    skipOnError: true,
  });
  // `routeOptions` is a getter that builds a new object on every read: the callers read it once.
  const limitedByRoute = (routeOptions: FastifyRequest["routeOptions"], actor: Actor) =>
    actor.kind === "attendee" && routeOptions.config.attendeesLimitedByRoute === true;
  app.decorateRequest("earlyActorLimit", null);
  app.decorate(
    "limitActor",
    (request: FastifyRequest, reply: FastifyReply) =>
      new Promise<void>((resolve, reject) =>
        applyLimit(check(request), reply, (error) => (error ? reject(error) : resolve())),
      ),
  );
  // The actor a request most likely comes from (plugins/auth.ts: a good attendee token, or a session token this
  // instance has read before) has its limit asked now, beside the IP limit and the auth generation: one Redis
  // round trip for all, not one after another. The answer counts only if authentication confirms the actor; a
  // wrong guess (a session revoked meanwhile) has counted one request against the user whose credential it was.
  app.addHook("onRequest", (request, _reply, done) => {
    const likely = request.earlyAuth?.likely;
    if (!likely) return done();
    const { routeOptions } = request;
    if (!limitedByRoute(routeOptions, likely)) {
      const answer = check(seenAs(request, likely, routeOptions));
      answer.catch(() => undefined);
      request.earlyActorLimit = { key: actorId(likely)!, answer };
    }
    done();
  });
  app.addHook("preHandler", (request, reply, done) => {
    const { actor } = request;
    if (actor.kind === "anonymous" || limitedByRoute(request.routeOptions, actor)) return done();
    const early = request.earlyActorLimit;
    applyLimit(early !== null && early.key === actorId(actor) ? early.answer : check(request), reply, done);
  });
}

/**
 * The request as the limit sees it when asked for `actor` before authentication has set `request.actor`: the
 * fields `createRateLimit` and the key generator read. Not `Object.create(request)`: an object that becomes a
 * prototype changes shape in V8, which made every later hook that touches the request slower (measured: 30 µs
 * in this hook alone, per request).
 */
function seenAs(
  request: FastifyRequest,
  actor: Actor,
  routeOptions: FastifyRequest["routeOptions"],
): FastifyRequest {
  return { actor, ip: request.ip, routeOptions } as FastifyRequest;
}

// The stricter limit guards sign-in against credential stuffing and code guessing.
function isSignIn(request: FastifyRequest): boolean {
  return request.url.startsWith("/api/auth/") && isSignInPath(authPath(request.url));
}

export const rateLimit = fp(ipRateLimit, { name: "rate-limit", dependencies: ["error-handler"] });
export const actorLimit = fp(actorRateLimit, {
  name: "actor-rate-limit",
  dependencies: ["rate-limit", "auth"],
});
