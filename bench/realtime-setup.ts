/**
 * Setting up the real-time benchmark (realtime-bench.ts): a presenter, a live session and its attendees over
 * Podium's HTTP API; a private Redis; the clients' process and its control calls; the servers' heap probe
 * (realtime-heap-probe.mjs) and socket counts.
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { freePort, spawnChild, waitForLine, type Child } from "./children.js";
import { expectStatus, send } from "./http.js";
import { databaseUrl, ROOT } from "./podium.js";

export { databaseUrl as sharedDatabaseUrl };
import type { ConnectResult } from "./realtime-client.js";

const UNLIMITED = "1000000000";
/** What every Podium of this section gets on top of startPodium's defaults (documented in the report). */
export const REALTIME_SERVER_ENV: Record<string, string> = {
  NODE_ENV: "development",
  RATE_LIMIT_IP_MAX: UNLIMITED,
  RATE_LIMIT_ACTOR_MAX: UNLIMITED,
  RATE_LIMIT_SIGN_IN_MAX: UNLIMITED,
  REALTIME_CONNECTIONS_PER_MINUTE: UNLIMITED,
  PRESENCE_GRACE_MS: String(24 * 3_600_000),
};
export const NO_PROVIDER = {
  GOOGLE_CLIENT_ID: undefined,
  GOOGLE_CLIENT_SECRET: undefined,
  GITHUB_CLIENT_ID: undefined,
  GITHUB_CLIENT_SECRET: undefined,
};
const EVENTS_OUT = {
  podium: 'podium_realtime_events_out_total{event="session:updated"}',
  question: 'podium_realtime_events_out_total{event="question:created"}',
} as const;
/** After connects or disconnects, before a heap reading or a burst: presence writes and coalesced counts done. */
export const SETTLE_MS = 2_000;

const json = { "content-type": "application/json" };

/** Development sign-in (NODE_ENV=development, no OAuth provider): the bearer token is `set-auth-token`. */
export async function signInHost(url: string, publicUrl: string, email: string): Promise<string> {
  const answer = await expectStatus(
    send(
      `${url}/api/auth/dev/sign-in`,
      "POST",
      { ...json, origin: publicUrl },
      JSON.stringify({ name: "Realtime Bench Host", email }),
    ),
    200,
    "POST /api/auth/dev/sign-in",
  );
  const token = answer.headers["set-auth-token"];
  if (typeof token !== "string" || !token) throw new Error("dev sign-in gave no set-auth-token");
  return token;
}

export interface LiveSession {
  id: string;
  /** The session as `session:updated` carries it (the raw baseline broadcasts the same shape). */
  state: Record<string, unknown>;
}

/** Creates a session, raises its capacity with PATCH (as a host would) and starts it. */
export async function createLiveSession(
  url: string,
  hostToken: string,
  title: string,
  capacity: number,
): Promise<LiveSession> {
  const headers = { ...json, authorization: `Bearer ${hostToken}` };
  const created = await expectStatus(
    send(`${url}/api/sessions`, "POST", headers, JSON.stringify({ title })),
    201,
    "POST /api/sessions",
  );
  const id = (JSON.parse(created.body) as { id: string }).id;
  await expectStatus(
    send(`${url}/api/sessions/${id}`, "PATCH", headers, JSON.stringify({ capacity })),
    200,
    "PATCH /api/sessions/:id (capacity)",
  );
  const started = await expectStatus(
    send(`${url}/api/sessions/${id}/start`, "POST", headers, "{}"),
    200,
    "POST /api/sessions/:id/start",
  );
  const view = JSON.parse(started.body) as Record<string, unknown>;
  const state: Record<string, unknown> = {};
  // SessionState (src/lib/domain-events.ts): what `session:updated` carries.
  for (const key of [
    "id",
    "title",
    "description",
    "status",
    "scheduledAt",
    "startedAt",
    "endedAt",
    "settings",
    "version",
  ])
    state[key] = view[key];
  return { id, state };
}

/** `count` attendees join over HTTP (`concurrency` at a time); their tokens, in order. */
export async function joinAttendees(
  url: string,
  sessionId: string,
  count: number,
  namePrefix: string,
  concurrency = 20,
): Promise<string[]> {
  const tokens: string[] = new Array<string>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const answer = await expectStatus(
        send(
          `${url}/api/attendee/join/${sessionId}`,
          "POST",
          json,
          JSON.stringify({ name: `${namePrefix} ${i + 1}` }),
        ),
        201,
        "POST /api/attendee/join/:sessionId",
      );
      tokens[i] = (JSON.parse(answer.body) as { token: string }).token;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return tokens;
}

/**
 * A Redis of the benchmark's own (`redis-server` on a free port, nothing saved): Socket.io's adapter uses
 * pub/sub channels, which are global to a Redis server whatever the database number, so a shared Redis would
 * carry this benchmark's broadcasts to every other Podium using it (tests, other benchmarks) and theirs to us.
 */
export async function startPrivateRedis(): Promise<{ url: string; child: Child }> {
  const port = await freePort();
  const child = spawnChild(
    "redis-server (realtime)",
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    process.env,
  );
  const url = `redis://127.0.0.1:${port}`;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on("error", () => undefined);
  try {
    for (let i = 0; ; i++) {
      if (child.exited()) throw new Error(`redis-server exited:\n${child.tail()}`);
      try {
        if (redis.status !== "ready") await redis.connect();
        await redis.ping();
        return { url, child };
      } catch (error) {
        if (i > 100) throw error;
        redis.disconnect();
        await sleep(50);
      }
    }
  } finally {
    redis.disconnect();
  }
}

export interface Memory {
  heapUsed: number;
  heapTotal: number;
  rss: number;
  external: number;
  arrayBuffers: number;
  /** V8's compiled code with its metadata, and bytecode, counted in heapUsed. */
  codeUsed: number;
}

/** The heap's objects: heapUsed without V8's compiled code. */
export const heapObjects = (m: Memory): number => m.heapUsed - m.codeUsed;

export const HEAP_PROBE = join(ROOT, "bench", "realtime-heap-probe.mjs");
/** Loaded too when a trace directory is given: timestamps inside the servers (diagnostic runs only). */
const TRACE_PROBE = join(ROOT, "bench", "realtime-trace-probe.mjs");
const HEAP_MARKER = "realtime-heap-probe";

/** Full GCs in the server (SIGUSR2 to the preloaded probe), then its memory figures. */
export async function probeHeap(child: Child): Promise<Memory> {
  const line = waitForLine(child, HEAP_MARKER, 30_000);
  child.process.kill("SIGUSR2");
  const figures = JSON.parse((await line).slice((await line).indexOf("{"))) as Memory & { error?: string };
  if (figures.error) throw new Error(`${child.name}: ${figures.error}`);
  return figures;
}

/** A Prometheus sample of Podium's /api/metrics, e.g. `podium_realtime_sockets{role="attendee"}`. */
export async function podiumMetric(url: string, sample: string): Promise<number> {
  const answer = await expectStatus(send(`${url}/api/metrics`, "GET"), 200, "GET /api/metrics");
  const line = answer.body.split("\n").find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

export type BroadcastCounts = { podium: number[]; question: number[] };

/** Broadcasts of `session:updated` (PATCH) and `question:created` counted so far by each instance. */
export async function broadcastCounts(urls: string[]): Promise<BroadcastCounts> {
  return {
    podium: await Promise.all(urls.map((url) => podiumMetric(url, EVENTS_OUT.podium))),
    question: await Promise.all(urls.map((url) => podiumMetric(url, EVENTS_OUT.question))),
  };
}

/** `after − before`, instance by instance. */
export function countsSince(before: BroadcastCounts, after: BroadcastCounts): BroadcastCounts {
  const minus = (a: number[], b: number[]) => a.map((n, i) => n - (b[i] ?? 0));
  return { podium: minus(after.podium, before.podium), question: minus(after.question, before.question) };
}

export const attendeeSockets = (url: string) => podiumMetric(url, 'podium_realtime_sockets{role="attendee"}');

export async function rawSockets(url: string): Promise<number> {
  const answer = await expectStatus(send(`${url}/stats`, "GET"), 200, "GET /stats");
  return (JSON.parse(answer.body) as { sockets: number }).sockets;
}

/** Waits until the servers report `expected` sockets in all (their side of connects and disconnects is done). */
export async function waitForSockets(
  counters: Array<() => Promise<number>>,
  expected: number,
  what: string,
  deadlineMs = 60_000,
): Promise<void> {
  const giveUpAt = performance.now() + deadlineMs;
  let last = -1;
  while (performance.now() < giveUpAt) {
    last = (await Promise.all(counters.map((count) => count()))).reduce((a, b) => a + b, 0);
    if (last === expected) return;
    await sleep(50);
  }
  throw new Error(`${what}: the servers report ${last} sockets, not ${expected}`);
}

export interface ClientProcess {
  child: Child;
  openFiles: number;
  call<T>(path: string, body?: unknown): Promise<T>;
}

/**
 * The clients' process (realtime-client.ts), started through `sh` so that the open-files limit can be raised
 * to `openFiles` first (as far as the hard limit allows; the client reports the limit it got).
 */
export async function startClient(openFiles: number): Promise<ClientProcess> {
  const script = `ulimit -n ${openFiles} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"`;
  const child = spawnChild(
    "realtime-client",
    "/bin/sh",
    [
      "-c",
      script,
      process.execPath,
      "--expose-gc",
      "--import",
      "tsx",
      join(ROOT, "bench", "realtime-client.ts"),
    ],
    process.env,
  );
  const line = await waitForLine(child, "realtime-client ready", 30_000);
  const ready = JSON.parse(line.slice(line.indexOf("{"))) as { port: number; openFiles: number };
  const base = `http://127.0.0.1:${ready.port}`;
  return {
    child,
    openFiles: ready.openFiles,
    async call<T>(path: string, body: unknown = {}): Promise<T> {
      const answer = await send(`${base}${path}`, "POST", json, JSON.stringify(body), 600_000);
      if (answer.status !== 200)
        throw new Error(`realtime-client ${path}: ${answer.status} ${answer.body.slice(0, 500)}`);
      return JSON.parse(answer.body) as T;
    },
  };
}

/**
 * Node flags of every server of this section: GC exposed, heap probe preloaded, trace probe and CPU profile when
 * asked (BENCH_RT_TRACE_DIR, BENCH_RT_CPU_PROF).
 */
export function nodeFlags(profileDir: string | undefined, traceDir: string | undefined): string[] {
  const flags = ["--expose-gc", "--import", HEAP_PROBE];
  // The probe reads BENCH_RT_TRACE_DIR itself, from the environment the servers inherit.
  if (traceDir) flags.push("--import", TRACE_PROBE);
  return profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, ...flags] : flags;
}

/**
 * The raw Socket.io baseline (realtime-raw.ts) in its own process, with the Redis adapter when `redisUrl`, and its
 * durable writes (`?durable=1`) going to `databaseUrl`.
 */
export async function startRaw(
  name: string,
  flags: string[],
  databaseUrl: string,
  redisUrl?: string,
): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(port),
    RAW_DATABASE_URL: databaseUrl,
  };
  if (redisUrl) env.REDIS_URL = redisUrl;
  else delete env.REDIS_URL;
  const child = spawnChild(
    name,
    process.execPath,
    [...flags, "--import", "tsx", join(ROOT, "bench", "realtime-raw.ts")],
    env,
  );
  await waitForLine(child, "realtime-raw ready", 30_000);
  return { child, url: `http://127.0.0.1:${port}` };
}

export function expectConnected(result: ConnectResult, what: string): ConnectResult {
  if (result.failed > 0)
    throw new Error(`${what}: ${result.failed} sockets failed: ${JSON.stringify(result.errors)}`);
  return result;
}

/** Tokens for the raw server, which needs none. */
export const nulls = (n: number) => Array.from({ length: n }, () => null);

/** Ends and deletes a benchmark session (its attendees go with it), best effort. */
export async function dropSession(url: string, hostToken: string, sessionId: string): Promise<void> {
  const headers = { authorization: `Bearer ${hostToken}`, "content-type": "application/json" };
  await send(`${url}/api/sessions/${sessionId}/end`, "POST", headers, "{}").catch(() => undefined);
  await send(`${url}/api/sessions/${sessionId}`, "DELETE", { authorization: headers.authorization }).catch(
    () => undefined,
  );
}
