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
     * "deferred": the per-actor limit is asked for without waiting, and its answer is `request.actorLimit`, which
     * the route awaits before any write and before any other refusal (see `settleActorLimit`): a route that asks
     * Redis again (a limiter of its own) then pays one round trip for both.
     */
    actorLimit?: "deferred";
  }
  interface FastifyRequest {
    /** The per-actor limit's answer on routes that defer it: rejects with the 429 when the actor is over it. */
    actorLimit: Promise<void> | null;
    /** The per-actor limit asked in onRequest for the actor the credential most likely is (see `early`). */
    earlyActorLimit: { key: string; answer: Promise<RateLimitResult> } | null;
  }
}

type RateLimitResult = Awaited<ReturnType<ReturnType<FastifyInstance["createRateLimit"]>>>;

export interface RateLimitOptions {
  config: Config["rateLimit"];
  redis?: Redis;
}

/**
 * Sliding-window limits per client IP on every request (onRequest, before any work), stricter on sign-in
 * routes. Counters live in Redis when configured, so several instances share them; in memory otherwise. Answers
 * 429 problem+json with Retry-After and the IETF RateLimit-* headers. If Redis fails, requests pass (fail open):
 * an outage of the cache must not take the API down with it.
 */
async function ipRateLimit(app: FastifyInstance, { config, redis }: RateLimitOptions) {
  await app.register(rateLimitPlugin, {
    global: true,
    hook: "onRequest",
    max: async (request: FastifyRequest) => (isSignIn(request) ? config.signInMax : config.ipMax),
    timeWindow: config.windowMs,
    keyGenerator: (request) => (isSignIn(request) ? `sign-in:${request.ip}` : `ip:${request.ip}`),
    store: createSlidingWindowStore({ redis, prefix: "podium:rl:" }),
    skipOnError: true,
    enableDraftSpec: true,
    errorResponseBuilder: (_request, context) =>
      new AppError("RATE_LIMITED", context.statusCode, `Too many requests; retry in ${context.after}.`),
  });
}

/**
 * The per-actor limit (user, API key or attendee), applied after authentication so one account cannot
 * exceed it by spreading requests over many addresses. Registered after the auth plugin: its preHandler
 * must run once the actor is known.
 */
async function actorRateLimit(app: FastifyInstance, { config, redis }: RateLimitOptions) {
  // createRateLimit, not rateLimit(): the latter's handler skips requests the IP limit already counted.
  const check = app.createRateLimit({
    max: config.actorMax,
    timeWindow: config.windowMs,
    keyGenerator: (request) => actorId(request.actor) ?? `ip:${request.ip}`,
    store: createSlidingWindowStore({ redis, prefix: "podium:rl-actor:" }),
    skipOnError: true,
  });
  const verdict = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    const early = request.earlyActorLimit;
    const answer = early !== null && early.key === actorId(request.actor) ? early.answer : check(request);
    answer.then((result) => {
      if (result.isAllowed) return done();
      const resetSeconds = Math.max(1, result.ttlInSeconds);
      reply.header("ratelimit-limit", result.max);
      reply.header("ratelimit-remaining", result.remaining);
      reply.header("ratelimit-reset", resetSeconds);
      if (!result.isExceeded) return done();
      done(
        new AppError("RATE_LIMITED", 429, `Too many requests; retry in ${resetSeconds} seconds.`, {
          headers: { "retry-after": String(resetSeconds) },
        }),
      );
    }, done);
  };
  app.decorateRequest("actorLimit", null);
  app.decorateRequest("earlyActorLimit", null);
  // The actor a request most likely comes from (plugins/auth.ts: a good attendee token, or a session token this
  // instance has read before) has its limit asked now, beside the IP limit and the auth generation: one Redis
  // round trip for all, not one after another. The answer counts only if authentication confirms the actor; a
  // wrong guess (a session revoked meanwhile) has counted one request against the user whose credential it was.
  app.addHook("onRequest", (request, _reply, done) => {
    const likely = request.earlyAuth?.likely;
    if (likely) {
      const answer = check(seenAs(request, likely));
      answer.catch(() => undefined);
      request.earlyActorLimit = { key: actorId(likely)!, answer };
    }
    done();
  });
  app.addHook("preHandler", (request, reply, done) => {
    if (request.actor.kind === "anonymous") return done();
    if (request.routeOptions.config.actorLimit !== "deferred") return verdict(request, reply, done);
    const answer = new Promise<void>((resolve, reject) =>
      verdict(request, reply, (error) => (error ? reject(error) : resolve())),
    );
    // Awaited by the route; until then a refusal must not count as unhandled.
    answer.catch(() => undefined);
    request.actorLimit = answer;
    done();
  });
}

/**
 * The request as the limit sees it when asked for `actor` before authentication has set `request.actor`: the
 * fields `createRateLimit` and the key generator read. Not `Object.create(request)`: an object that becomes a
 * prototype changes shape in V8, which made every later hook that touches the request slower (measured: 30 µs
 * in this hook alone, per request).
 */
function seenAs(request: FastifyRequest, actor: Actor): FastifyRequest {
  const { ip, routeOptions } = request;
  return { actor, ip, routeOptions } as FastifyRequest;
}

/**
 * On a route that defers the per-actor limit: runs `work` while the limit's answer is on its way, and gives the
 * limit's refusal precedence over whatever `work` ends with, as if the limit had been checked first. `work` must
 * itself await `request.actorLimit` before it writes anything (the Q&A service does, beside its own limiter).
 */
export async function settleActorLimit<T>(request: FastifyRequest, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    await request.actorLimit;
    throw error;
  }
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
