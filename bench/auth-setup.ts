/**
 * Setting up the authentication benchmark (auth-latency.ts): the presenter's sign-in and sign-out over HTTP,
 * the checks that the routes answer as the benchmark assumes, and whether Redis is there and in use.
 */
import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import type { AuthServerReady } from "./auth-latency.js";
import { send } from "./http.js";

export const OPEN = "/bench/open";
export const PROTECTED = "/bench/protected";

/** Development sign-in, the way a client without cookies does it: the bearer token is `set-auth-token`. */
export async function signIn(ready: AuthServerReady): Promise<string> {
  const body = JSON.stringify({ name: "Auth Bench", email: "auth-bench@example.com" });
  const answer = await send(
    `${ready.url}/api/auth/dev/sign-in`,
    "POST",
    { "content-type": "application/json", origin: ready.publicUrl },
    body,
  );
  const token = answer.headers["set-auth-token"];
  if (answer.status !== 200 || typeof token !== "string" || !token) {
    throw new Error(
      `dev sign-in answered ${answer.status} without set-auth-token: ${answer.body.slice(0, 300)}`,
    );
  }
  return token;
}

export async function signOut(ready: AuthServerReady, token: string): Promise<void> {
  const headers = {
    authorization: `Bearer ${token}`,
    origin: ready.publicUrl,
    "content-type": "application/json",
  };
  await send(`${ready.url}/api/auth/sign-out`, "POST", headers, "{}").catch(() => undefined);
}

/** Whether the route answers as the benchmark assumes: open to all, protected closed to anonymous callers. */
export async function preflight(base: string, credentials: Record<string, string>): Promise<void> {
  const expect = async (path: string, headers: Record<string, string>, status: number, what: string) => {
    const answer = await send(`${base}${path}`, "GET", headers);
    if (answer.status !== status)
      throw new Error(
        `GET ${path} ${what} answered ${answer.status}, not ${status}: ${answer.body.slice(0, 300)}`,
      );
  };
  await expect(OPEN, {}, 200, "without a credential");
  await expect(PROTECTED, {}, 401, "without a credential");
  for (const [name, authorization] of Object.entries(credentials))
    await expect(PROTECTED, { authorization }, 200, `with the ${name} token`);
}

/** Undefined when Redis at `url` answers PING within a second, else why not. */
export async function redisProblem(url: string): Promise<string | undefined> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let cause: string | undefined; // ioredis rejects with "Connection is closed."; the event says why
  redis.on("error", (error: Error) => (cause ??= error.message));
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    return cause ?? (error instanceof Error ? error.message : String(error));
  } finally {
    redis.disconnect();
  }
}

/**
 * The server must really use this Redis, or "with Redis" would measure memory again: a sign-in is counted by
 * the rate limiter there, and a sign-out writes the auth generation there (the value session caches follow).
 */
export async function expectRedisInUse(url: string, ready: AuthServerReady): Promise<void> {
  const redis = new Redis(url, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
  redis.on("error", () => undefined);
  try {
    await redis.del("podium:auth:generation");
    await signOut(ready, await signIn(ready));
    const [, limiterKeys] = await redis.scan("0", "MATCH", "podium:rl*", "COUNT", 1000);
    if ((await redis.exists("podium:auth:generation")) !== 1 || limiterKeys.length === 0)
      throw new Error(
        `the server does not use Redis (${redactUrl(url)}) for its auth generation and rate limits`,
      );
  } finally {
    redis.disconnect();
  }
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "(unparseable URL)";
  }
}

/**
 * The pid of the Redis server at `url` when it runs on this machine (so its CPU is the benchmark's, not a
 * neighbour's), else undefined.
 */
export async function localRedisPid(url: string): Promise<number | undefined> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on("error", () => undefined);
  try {
    const pid = Number(/^process_id:(\d+)/m.exec(await redis.info("server"))?.[1]);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return readFileSync(`/proc/${pid}/comm`, "utf8").includes("redis") ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}
