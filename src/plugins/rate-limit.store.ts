import type { FastifyRateLimitStore } from "@fastify/rate-limit";
import type { Redis } from "ioredis";
import { createLimitsAhead, type LimitsAhead } from "../lib/limits-ahead.js";

/**
 * Sliding-window stores for `@fastify/rate-limit` (its own stores count fixed windows, so a client can spend
 * `max` at the end of one window and `max` again at the start of the next). This is the "sliding window
 * counter" of Cloudflare and the Redis docs: a hit is admitted while
 *
 *   previousWindowCount * (1 - elapsedFractionOfCurrentWindow) + currentWindowCount + 1 <= max
 *
 * Semantics the plugin sees through `incr` → `{ current, ttl }`:
 * - Only admitted hits are counted. A refused client is not pushed further back by its retries, so a client
 *   sending slightly more than the limit still gets `max` per window, and Retry-After stays true however
 *   often it retries meanwhile.
 * - Admitted: `current` is the estimate rounded up (an integer: the plugin compares `current > max` and
 *   derives `remaining`); `ttl` is the time to the end of the current window (X-RateLimit-Reset), after
 *   which this window's hits start to fade.
 * - Refused: `current` is `max` plus the refusals in this window, so the plugin's `ban` (403 once refusals
 *   exceed `ban`) works as with its own stores; `ttl` is the exact time until one more hit fits under the
 *   limit, so Retry-After is the earliest retry that succeeds (if nobody else spends the room first).
 * - `continueExceeding` and `exponentialBackoff` are fixed-window notions: asking for them fails at
 *   registration rather than being silently ignored.
 */

export interface SlidingWindowStoreOptions {
  /**
   * Counts in Redis, shared exactly (one atomic script per hit) by every instance on it, a hit that what the
   * instance last heard leaves room for admitted before the count answers (`LimitsAhead`); else memory.
   */
  redis?: Redis;
  /** Prepended to every Redis key. */
  prefix?: string;
  /** Clock in ms. Without it, Redis uses the Redis server's clock (instances' clocks may disagree). */
  now?: () => number;
}

/** The fields of the plugin's merged options (constructor and `child()`) that these stores read. */
export interface SlidingWindowStoreParams {
  /** Memory store: keys kept at most (each holds up to two windows); the plugin's own option name. */
  cache?: number;
  continueExceeding?: boolean;
  exponentialBackoff?: boolean;
  groupId?: string;
  routeInfo?: { method?: string | string[]; url?: string };
}

export interface RateLimitCount {
  current: number;
  ttl: number;
}

type Callback = (error: Error | null, result?: RateLimitCount) => void;

export interface SlidingWindowStore extends FastifyRateLimitStore {
  incr(key: string, callback: Callback, timeWindow: number, max: number): void;
  /** The plugin's `{ increment: false }` peek: the estimate now, counting nothing. */
  read(key: string, callback: Callback, timeWindow: number, max: number): void;
  /** The plugin types this as RouteOptions; it actually passes its merged options (the Params above). */
  child(params: object): SlidingWindowStore;
  /** Windows held in memory (always 0 with Redis): lets tests and metrics see that memory stays bounded. */
  readonly size: number;
}

export type SlidingWindowStoreCtor = new (params?: SlidingWindowStoreParams) => SlidingWindowStore;

const DEFAULT_PREFIX = "podium:rate-limit:";
const DEFAULT_CACHE = 5_000;
const COMMAND = "podiumSlidingWindow";

interface Counter {
  count(key: string, window: number, max: number, increment: boolean): Promise<RateLimitCount>;
  readonly size: number;
}

interface WindowCounts {
  previous: number;
  admitted: number;
}

interface Decision {
  admit: boolean;
  estimate: number;
  /** Ms until one more hit fits: 0 when it fits now. */
  wait: number;
}

/**
 * The arithmetic, kept in step with the Lua below (the tests run the same cases against both). Divisions are
 * of exact integer products, so a mathematically integral estimate is exact and `ceil` never rounds 5 to 6.
 */
function decide(counts: WindowCounts, window: number, elapsed: number, max: number): Decision {
  const { previous, admitted } = counts;
  const estimate = (previous * (window - elapsed)) / window + admitted;
  if (estimate + 1 <= max) return { admit: true, estimate, wait: 0 };
  let until: number;
  if (max < 1) {
    until = window; // nothing ever fits; point at the window's end rather than promise a time
  } else if (admitted + 1 <= max) {
    // fits in this window once the previous window's weight has faded enough
    until = window - ((max - admitted - 1) * window) / previous;
  } else {
    // this window alone is full: wait into the next, where it becomes the fading previous window
    until = window + window - ((max - 1) * window) / admitted;
  }
  return { admit: false, estimate, wait: Math.max(1, Math.ceil(until - elapsed)) };
}

function toCount(decision: Decision, refused: number, max: number, window: number, elapsed: number) {
  if (decision.admit) return { current: Math.ceil(decision.estimate + 1), ttl: Math.ceil(window - elapsed) };
  return { current: max + refused, ttl: decision.wait };
}

/** Ms since the start of the window `now` falls in (windows start at multiples of their length, as in Redis). */
function elapsedIn(window: number, now: number): number {
  return now - Math.floor(now / window) * window;
}

interface MemoryWindow {
  admitted: number;
  refused: number;
  /** No longer needed from this time on: the end of the window after it. */
  expiresAt: number;
}

/**
 * In-process counts for one app instance. There is no timer (nothing to unref, nothing keeping the process
 * up): hits sweep expired windows at most once per window length, and past `maxEntries` the oldest windows go
 * first (a Map iterates in insertion order), which at worst forgets a client's oldest count under a flood of
 * distinct keys rather than growing without bound.
 */
class MemoryCounter implements Counter {
  readonly #windows = new Map<string, MemoryWindow>();
  #nextSweepAt = -Infinity;

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.#windows.size;
  }

  async count(key: string, window: number, max: number, increment: boolean): Promise<RateLimitCount> {
    const now = this.now();
    const index = Math.floor(now / window);
    const elapsed = elapsedIn(window, now);
    this.#sweep(now, window);
    const currentKey = `${key}:${index}`;
    const current = this.#windows.get(currentKey);
    const counts = {
      previous: this.#windows.get(`${key}:${index - 1}`)?.admitted ?? 0,
      admitted: current?.admitted ?? 0,
    };
    const decision = decide(counts, window, elapsed, max);
    if (!increment) return { current: Math.ceil(decision.estimate), ttl: Math.ceil(window - elapsed) };
    const entry = current ?? { admitted: 0, refused: 0, expiresAt: (index + 2) * window };
    if (decision.admit) entry.admitted += 1;
    else entry.refused += 1;
    if (!current) {
      this.#windows.set(currentKey, entry);
      this.#evictOverflow();
    }
    return toCount(decision, entry.refused, max, window, elapsed);
  }

  #sweep(now: number, window: number) {
    if (now < this.#nextSweepAt) return;
    this.#nextSweepAt = now + window;
    for (const [key, entry] of this.#windows) if (entry.expiresAt <= now) this.#windows.delete(key);
  }

  #evictOverflow() {
    for (const key of this.#windows.keys()) {
      if (this.#windows.size <= this.maxEntries) return;
      this.#windows.delete(key);
    }
  }
}

/**
 * One round trip, atomic, so instances sharing a Redis share one count. KEYS[1] is the client's base key in a
 * {hash tag}; the two window keys derived from it land in its slot. ARGV: window ms, max, now ms (negative:
 * use the Redis server's clock, the one clock all instances agree on), increment (1/0), admitted already (1/0:
 * an instance admitted the hit ahead of this answer, see `LimitsAhead`; it counts whatever the limit says, and
 * holds the next hits back). Each window is a hash
 * (a: admitted, r: refused) that expires two windows after its last write: long enough to serve as the
 * previous window. Mirrors `decide` and `toCount` above.
 */
const SCRIPT = `
local window = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now < 0 then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local index = math.floor(now / window)
local elapsed = now - index * window
local currentKey = KEYS[1] .. ':' .. string.format('%d', index)
local previous = tonumber(redis.call('HGET', KEYS[1] .. ':' .. string.format('%d', index - 1), 'a') or '0')
local admitted = tonumber(redis.call('HGET', currentKey, 'a') or '0')
local estimate = previous * (window - elapsed) / window + admitted
if ARGV[4] ~= '1' then
  return {math.ceil(estimate), math.ceil(window - elapsed)}
end
if estimate + 1 <= max or ARGV[5] == '1' then
  redis.call('HINCRBY', currentKey, 'a', 1)
  redis.call('PEXPIRE', currentKey, window * 2)
  return {math.ceil(estimate + 1), math.ceil(window - elapsed)}
end
local refused = redis.call('HINCRBY', currentKey, 'r', 1)
redis.call('PEXPIRE', currentKey, window * 2)
local untilMs
if max < 1 then
  untilMs = window
elseif admitted + 1 <= max then
  untilMs = window - (max - admitted - 1) * window / previous
else
  untilMs = window + window - (max - 1) * window / admitted
end
return {max + refused, math.max(1, math.ceil(untilMs - elapsed))}
`;

type ScriptCommand = (
  key: string,
  window: number,
  max: number,
  now: number,
  increment: number,
  admittedAhead: number,
) => Promise<[number, number]>;

/**
 * ioredis sends a defined command as EVALSHA and falls back to EVAL on NOSCRIPT, so a restarted or flushed
 * Redis needs nothing from us. Errors (the client fails fast while disconnected: no offline queue) reach the
 * plugin's callback unchanged.
 *
 * A hit that what this instance last heard of its key admits (`LimitsAhead`) is answered at once and counted a
 * moment later (`LimitsAhead.send`); the others wait for the count's answer as before.
 */
class RedisCounter implements Counter {
  readonly size = 0;
  readonly #heard: LimitsAhead;
  readonly #clock: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly now: (() => number) | undefined,
  ) {
    if (typeof (redis as unknown as Record<string, unknown>)[COMMAND] !== "function") {
      redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: SCRIPT });
    }
    this.#clock = now ?? Date.now;
    this.#heard = createLimitsAhead({ now: this.#clock });
  }

  count(key: string, window: number, max: number, increment: boolean): Promise<RateLimitCount> {
    // Nothing is admitted ahead while Redis is unreachable: such a hit could not be counted.
    if (!increment || this.redis.status !== "ready")
      return this.#heard.inOrder(() => this.#script(key, window, max, increment, false));
    return this.#heard.hit(
      key,
      max,
      async (ahead) => {
        const answer = await this.#script(key, window, max, true, ahead);
        // Counts only fade with time: the one heard stays an upper bound (bar other instances) until it is gone.
        return { value: answer, count: answer.current, until: this.#clock() + 2 * window };
      },
      (heard) => ({ current: (heard ?? 0) + 1, ttl: Math.ceil(window - elapsedIn(window, this.#clock())) }),
    );
  }

  async #script(key: string, window: number, max: number, increment: boolean, ahead: boolean) {
    const commands = this.redis as unknown as Record<typeof COMMAND, ScriptCommand>;
    const [current, ttl] = await commands[COMMAND](
      key,
      window,
      max,
      this.now?.() ?? -1,
      increment ? 1 : 0,
      ahead ? 1 : 0,
    );
    return { current, ttl };
  }
}

function rejectFixedWindowOptions(params: SlidingWindowStoreParams) {
  for (const option of ["continueExceeding", "exponentialBackoff"] as const) {
    if (params[option]) throw new Error(`the sliding-window rate-limit store does not support ${option}`);
  }
}

function routeScope(params: SlidingWindowStoreParams): string {
  // Routes sharing a groupId share a count, which is what the plugin documents groupId for.
  if (params.groupId) return `group:${params.groupId}`;
  const { method, url } = params.routeInfo ?? {};
  // createRateLimit()/rateLimit() limiters carry no route: they share one scope unless given a groupId.
  if (!url) return "limiter";
  return `${[method ?? ""].flat().join(",")}:${url}`;
}

/**
 * A store class for `@fastify/rate-limit`'s `store` option. Pair it with `skipOnError: true`: a Redis error
 * goes to the plugin, which then lets the request through. Failing open is deliberate: a Redis outage should
 * degrade abuse protection, not take every rate-limited route down with it (the health check reports Redis).
 */
export function createSlidingWindowStore(options: SlidingWindowStoreOptions = {}): SlidingWindowStoreCtor {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const clock = options.now;
  const redis = options.redis;

  interface Inherited {
    counter: Counter;
    scope: string;
  }

  return class SlidingWindowRateLimitStore implements SlidingWindowStore {
    readonly #counter: Counter;
    readonly #scope: string;

    constructor(params: SlidingWindowStoreParams = {}, inherited?: Inherited) {
      rejectFixedWindowOptions(params);
      this.#scope = inherited?.scope ?? prefix;
      this.#counter =
        inherited?.counter ??
        (redis
          ? new RedisCounter(redis, clock)
          : new MemoryCounter(2 * (params.cache ?? DEFAULT_CACHE), clock ?? Date.now));
    }

    get size(): number {
      return this.#counter.size;
    }

    incr(key: string, callback: Callback, timeWindow: number, max: number): void {
      this.#run(key, callback, timeWindow, max, true);
    }

    read(key: string, callback: Callback, timeWindow: number, max: number): void {
      this.#run(key, callback, timeWindow, max, false);
    }

    child(options: object): SlidingWindowStore {
      const params = options as SlidingWindowStoreParams;
      // One backing Map or Redis per plugin registration; routes differ by key scope only.
      const scope = `${this.#scope}${routeScope(params)}:`;
      return new SlidingWindowRateLimitStore(params, { counter: this.#counter, scope });
    }

    #run(key: string, callback: Callback, timeWindow: number, max: number, increment: boolean) {
      // The plugin accepts a 0 ms window (a fixed window then never limits); a sliding one cannot divide by 0.
      if (!(timeWindow > 0)) {
        callback(new Error(`the sliding-window rate-limit store needs timeWindow > 0, got ${timeWindow}`));
        return;
      }
      this.#counter.count(`${this.#scope}{${key}}`, timeWindow, max, increment).then(
        (result) => callback(null, result),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    }
  };
}
