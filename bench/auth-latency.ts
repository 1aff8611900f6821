/**
 * The time authentication adds to a request: GET /bench/protected (behind `requireActor`) with a credential
 * against GET /bench/open (identical handler, no credential) on the same server, measured in the same run.
 * Server 1 keeps sessions in PostgreSQL only (no REDIS_URL): presenter bearer token and attendee JWT. Server 2
 * adds Redis (REDIS_URL: rate limits and the session cache's generation in Redis): presenter bearer token,
 * and the attendee JWT again (informational).
 *
 * Latency: one keep-alive connection, one request in flight (no queueing inside the server), alternating
 * batches of each route so that the machine's noise lands on all of them alike; per-request times with
 * process.hrtime.bigint. In each round, added = percentile(protected) − percentile(open); the report gives
 * the median over the rounds. Throughput at LOAD_CONNECTIONS connections, protected vs open, with autocannon.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import {
  expectRedisInUse,
  localRedisPid,
  OPEN,
  preflight,
  PROTECTED,
  redactUrl,
  redisProblem,
  signIn,
  signOut,
} from "./auth-setup.js";
import { forceStop, stopGracefully, waitForLine } from "./children.js";
import { cpuSnapshot, othersShare } from "./cpu.js";
import { getRequest, KeepAliveConnection } from "./keepalive-client.js";
import { ROOT, startPodium, type DatabaseTarget } from "./podium.js";
import { median } from "./startup.js";
import { measureLoad, type LoadResult, type LoadSettings } from "./throughput.js";

/** The line bench/auth-server.ts prints once it listens (the same text is repeated there). */
export const AUTH_SERVER_MARKER = "auth-server ready";
export interface AuthServerReady {
  url: string;
  publicUrl: string;
  attendeeToken: string;
}

export const AUTH_ROUNDS = 5;
export const BATCH = 25;
export const LOAD_CONNECTIONS = 50;
/** Logical database 15: the benchmark's rate-limit counters and sessions stay away from tests and servers on 0. */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15";
const UNLIMITED = "1000000000";

export type AuthCaseKey = "presenterPostgres" | "attendee" | "presenterRedis" | "attendeeRedis";

export interface Percentiles {
  p50Us: number;
  p99Us: number;
}

export interface AuthRound {
  open: Percentiles;
  protected: Percentiles;
  addedP50Us: number;
  addedP99Us: number;
}

export interface AuthCaseResult {
  key: AuthCaseKey;
  label: string;
  rounds: AuthRound[];
  /** Medians over the rounds. */
  open: Percentiles;
  protected: Percentiles;
  addedP50Us: number;
  addedP99Us: number;
  /** Measured requests of this case (protected) and of the open route beside it. */
  samples: number;
  openSamples: number;
  load: LoadResult | undefined;
}

export interface AuthScenario {
  name: string;
  /** The cases this scenario measures (or would have). */
  planned: Array<{ key: AuthCaseKey; label: string }>;
  /** Why the scenario was not measured ("no Redis"), if it was not, and the details. */
  notMeasured: string | undefined;
  notMeasuredDetail?: string;
  cases: AuthCaseResult[];
  openLoad: LoadResult | undefined;
  /** Latency requests that did not answer 200, as "route status" → count (warm-up included). */
  unexpected: Record<string, number>;
  /** Largest share of the CPU other processes used during a measured latency round. */
  othersCpuMax: number | undefined;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

export interface AuthSettings {
  rounds: number;
  roundS: number;
  warmupS: number;
  batch: number;
  load: LoadSettings;
  redisUrl: string;
}

export interface AuthReport {
  settings: AuthSettings;
  scenarios: AuthScenario[];
}

interface CaseSpec {
  key: AuthCaseKey;
  label: string;
  credential: "presenter" | "attendee";
}

interface ScenarioSpec {
  name: string;
  redisUrl: string | undefined;
  cases: CaseSpec[];
}

interface Stream {
  key: string;
  raw: Buffer;
  samples: number[];
}

/**
 * Latency: AUTH_ROUNDS rounds of durationS / 2 seconds (at least 1) after a warm-up of one round (V8 is still
 * optimising the request path for a few seconds); throughput: `loadWarmupS` then `durationS` per route.
 */
export function authSettings(durationS: number, loadWarmupS: number): AuthSettings {
  const roundS = Math.max(1, durationS / 2);
  return {
    rounds: AUTH_ROUNDS,
    roundS,
    warmupS: Math.max(roundS, loadWarmupS),
    batch: BATCH,
    load: { connections: LOAD_CONNECTIONS, durationS, warmupS: loadWarmupS },
    redisUrl: process.env.BENCH_REDIS_URL || DEFAULT_REDIS_URL,
  };
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

function percentiles(samples: number[]): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  const values = Array.from(sorted);
  return { p50Us: percentile(values, 0.5), p99Us: percentile(values, 0.99) };
}

/** Alternating batches of every stream until `seconds` have passed; each stream's first slot rotates. */
async function interleave(
  connection: KeepAliveConnection,
  streams: Stream[],
  seconds: number,
  unexpected: Record<string, number>,
): Promise<void> {
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  for (let cycle = 0; process.hrtime.bigint() < deadline; cycle++) {
    for (let i = 0; i < streams.length; i++) {
      const stream = streams[(cycle + i) % streams.length]!;
      for (let n = 0; n < BATCH; n++) {
        const { status, elapsedNs } = await connection.send(stream.raw);
        if (status !== 200) {
          const key = `${stream.key} → ${status}`;
          unexpected[key] = (unexpected[key] ?? 0) + 1;
        }
        stream.samples.push(Number(elapsedNs) / 1000);
      }
    }
  }
}

function caseResult(
  spec: CaseSpec,
  rounds: AuthRound[],
  samples: number,
  openSamples: number,
): AuthCaseResult {
  const mid = (pick: (r: AuthRound) => number) => median(rounds.map(pick));
  return {
    key: spec.key,
    label: spec.label,
    rounds,
    open: { p50Us: mid((r) => r.open.p50Us), p99Us: mid((r) => r.open.p99Us) },
    protected: { p50Us: mid((r) => r.protected.p50Us), p99Us: mid((r) => r.protected.p99Us) },
    addedP50Us: mid((r) => r.addedP50Us),
    addedP99Us: mid((r) => r.addedP99Us),
    samples,
    openSamples,
    load: undefined,
  };
}

async function runScenario(
  spec: ScenarioSpec,
  target: DatabaseTarget,
  settings: AuthSettings,
  log: (line: string) => void,
): Promise<AuthScenario> {
  const podium = await startPodium(`podium (auth, ${spec.redisUrl ? "Redis" : "PostgreSQL only"})`, target, {
    args: ["--import", "tsx", join(ROOT, "bench", "auth-server.ts")],
    env: {
      NODE_ENV: "development", // the name-and-email sign-in exists only outside production
      AUTH_SECRET: randomBytes(32).toString("base64url"),
      REDIS_URL: spec.redisUrl,
      PUBLIC_URL: undefined,
      GOOGLE_CLIENT_ID: undefined,
      GOOGLE_CLIENT_SECRET: undefined,
      GITHUB_CLIENT_ID: undefined,
      GITHUB_CLIENT_SECRET: undefined,
      RATE_LIMIT_IP_MAX: UNLIMITED,
      RATE_LIMIT_ACTOR_MAX: UNLIMITED,
    },
  });
  const scenario: AuthScenario = {
    name: spec.name,
    planned: spec.cases.map(({ key, label }) => ({ key, label })),
    notMeasured: undefined,
    cases: [],
    openLoad: undefined,
    unexpected: {},
    othersCpuMax: undefined,
    exit: undefined,
  };
  let connection: KeepAliveConnection | undefined;
  try {
    const line = await waitForLine(podium.child, AUTH_SERVER_MARKER, 120_000);
    const ready = JSON.parse(
      line.slice(line.indexOf(AUTH_SERVER_MARKER) + AUTH_SERVER_MARKER.length),
    ) as AuthServerReady;
    const presenter = await signIn(ready);
    if (spec.redisUrl) await expectRedisInUse(spec.redisUrl, ready);
    // The machine's Redis works for this benchmark: its CPU is not a neighbour's.
    const redisPid = spec.redisUrl ? await localRedisPid(spec.redisUrl) : undefined;
    const alsoOurs = redisPid === undefined ? [] : [redisPid];
    const credentials = { presenter: `Bearer ${presenter}`, attendee: `Bearer ${ready.attendeeToken}` };
    await preflight(ready.url, credentials);

    const base = new URL(ready.url);
    const open: Stream = { key: `GET ${OPEN}`, raw: getRequest(base, OPEN), samples: [] };
    const guarded: Stream[] = spec.cases.map((c) => ({
      key: `GET ${PROTECTED} (${c.credential})`,
      raw: getRequest(base, PROTECTED, { authorization: credentials[c.credential] }),
      samples: [],
    }));
    const streams = [open, ...guarded];
    connection = await KeepAliveConnection.open(base);
    log(`  latency: ${settings.warmupS} s warm-up, ${settings.rounds} rounds of ${settings.roundS} s…`);
    await interleave(connection, streams, settings.warmupS, scenario.unexpected);
    const rounds: AuthRound[][] = spec.cases.map(() => []);
    const counts = streams.map(() => 0);
    for (let round = 0; round < settings.rounds; round++) {
      for (const stream of streams) stream.samples = [];
      const before = cpuSnapshot(alsoOurs);
      await interleave(connection, streams, settings.roundS, scenario.unexpected);
      const others = othersShare(before, cpuSnapshot(alsoOurs));
      if (others !== undefined) scenario.othersCpuMax = Math.max(scenario.othersCpuMax ?? 0, others);
      streams.forEach((s, i) => (counts[i]! += s.samples.length));
      const openFigures = percentiles(open.samples);
      const parts = [`open p50 ${openFigures.p50Us.toFixed(0)} µs`];
      guarded.forEach((stream, i) => {
        const figures = percentiles(stream.samples);
        const addedP50Us = figures.p50Us - openFigures.p50Us;
        const addedP99Us = figures.p99Us - openFigures.p99Us;
        rounds[i]!.push({ open: openFigures, protected: figures, addedP50Us, addedP99Us });
        parts.push(`${spec.cases[i]!.credential} +${addedP50Us.toFixed(0)} µs`);
      });
      log(`    round ${round + 1}/${settings.rounds}: ${parts.join(", ")} (p50)`);
    }
    connection.close();
    connection = undefined;
    scenario.cases = spec.cases.map((c, i) => caseResult(c, rounds[i]!, counts[i + 1]!, counts[0]!));

    const { connections, durationS, warmupS } = settings.load;
    log(`  throughput: ${connections} connections, ${warmupS} s warm-up + ${durationS} s per route…`);
    const url = (path: string) => `${ready.url}${path}`;
    scenario.openLoad = await measureLoad(`GET ${OPEN}`, url(OPEN), settings.load, undefined, alsoOurs);
    for (const [i, c] of spec.cases.entries()) {
      const headers = { authorization: credentials[c.credential] };
      const label = `GET ${PROTECTED} (${c.credential})`;
      scenario.cases[i]!.load = await measureLoad(label, url(PROTECTED), settings.load, headers, alsoOurs);
    }
    await signOut(ready, presenter);
  } catch (error) {
    connection?.close();
    await forceStop(podium.child);
    throw error;
  }
  const stop = await stopGracefully(podium.child, 20_000);
  scenario.exit = { code: stop.code, signal: stop.signal };
  if (stop.code !== 0)
    log(`  ${podium.child.name} exited with ${stop.code ?? stop.signal} on SIGTERM:\n${podium.child.tail()}`);
  return scenario;
}

export async function measureAuthOverhead(
  target: DatabaseTarget,
  settings: AuthSettings,
  log: (line: string) => void,
): Promise<AuthReport> {
  const specs: ScenarioSpec[] = [
    {
      name: "sessions in PostgreSQL only (no REDIS_URL)",
      redisUrl: undefined,
      cases: [
        {
          key: "presenterPostgres",
          label: "presenter bearer token, sessions in PostgreSQL",
          credential: "presenter",
        },
        { key: "attendee", label: "attendee JWT", credential: "attendee" },
      ],
    },
    {
      name: `with Redis: rate limits and auth generation (REDIS_URL=${redactUrl(settings.redisUrl)})`,
      redisUrl: settings.redisUrl,
      cases: [
        {
          key: "presenterRedis",
          label: "presenter bearer token, with Redis",
          credential: "presenter",
        },
        { key: "attendeeRedis", label: "attendee JWT, with REDIS_URL", credential: "attendee" },
      ],
    },
  ];
  const scenarios: AuthScenario[] = [];
  for (const spec of specs) {
    log(`Authentication overhead, ${spec.name}:`);
    const problem = spec.redisUrl ? await redisProblem(spec.redisUrl) : undefined;
    if (problem !== undefined) {
      log(`  not measured: no Redis (${problem})`);
      scenarios.push({
        name: spec.name,
        planned: spec.cases.map(({ key, label }) => ({ key, label })),
        notMeasured: "no Redis",
        notMeasuredDetail: `${redactUrl(spec.redisUrl!)}: ${problem}`,
        cases: [],
        openLoad: undefined,
        unexpected: {},
        othersCpuMax: undefined,
        exit: undefined,
      });
      continue;
    }
    scenarios.push(await runScenario(spec, target, settings, log));
  }
  return { settings, scenarios };
}
