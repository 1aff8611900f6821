/**
 * `npm run bench`: builds Podium, measures its start time and its HTTP throughput against a bare Fastify
 * baseline in the same run, the time authentication adds to a protected route against the same route open
 * (auth-latency.ts), and the sessions list and join storm against a bare Fastify + pg baseline
 * (sessions-bench.ts), prints the tables and writes bench/RESULTS.md.
 *
 * BENCH_ONLY=sessions (`npm run bench:sessions`) runs the sessions section alone and replaces only that section
 * of bench/RESULTS.md, which says so and carries its own checks.
 *
 * Environment: BENCH_DURATION_S (seconds per measured load run, default 10; e.g. 2 for a smoke run),
 * BENCH_ROUNDS (interleaved bare/live/health rounds, default 1; medians are reported), DATABASE_URL (use
 * that PostgreSQL instead of a temporary embedded one; migrations are applied to it), BENCH_REDIS_URL (the Redis
 * of the authentication section's second server, default redis://127.0.0.1:6379/15; unreachable → "not measured").
 * Exit code: 0 when the run completed (a missed target is a result, reported as FAIL), 1 when it failed or
 * its figures are doubtful (errors, non-2xx responses, a server not exiting 0 on SIGTERM).
 *
 * Real-time (realtime-bench.ts): REST change → receipt on 1,000 sockets against raw Socket.io, on 1 instance and
 * on 2 with Redis, heap per idle socket and waves of connects. BENCH_ONLY=realtime (`npm run bench:realtime`)
 * runs it alone and replaces only its section of bench/RESULTS.md. Smaller smoke runs: BENCH_RT_ATTENDEES,
 * BENCH_RT_MESSAGES, BENCH_RT_WAVES, BENCH_RT_WAVE_SOCKETS; BENCH_RT_CPU_PROF=<dir> writes the servers' CPU profiles.
 *
 * Q&A (qa-bench.ts): the questions list against bare Fastify + pg, a burst of 1,000 votes and 500 votes/s sustained
 * against the same upserts through pg. BENCH_ONLY=qa (`npm run bench:qa`) runs it alone and replaces only its section
 * of bench/RESULTS.md. Smaller smoke runs: BENCH_QA_LIST_ROUNDS, BENCH_QA_BURST_ROUNDS, BENCH_QA_SUSTAINED_S,
 * BENCH_QA_SUSTAINED_ROUNDS, BENCH_QA_PARTS (list,burst,sustained); BENCH_QA_CPU_PROF=<dir> writes Podium's CPU profile.
 *
 * WebRTC signaling (signaling-bench.ts): 1 presenter + 200 scripted attendees, relay latency and misrouted messages
 * against a raw Socket.io relay, and real @roamhq/wrtc peers. BENCH_ONLY=signaling (`npm run bench:signaling`) runs
 * it alone and replaces only its section of bench/RESULTS.md. Smaller runs: BENCH_SIG_ATTENDEES, BENCH_SIG_BYSTANDERS,
 * BENCH_SIG_STEADY_S, BENCH_SIG_RATE, BENCH_SIG_WRTC, BENCH_SIG_ROUNDS.
 */
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  installCleanupHandlers,
  httpGet,
  freePort,
  spawnChild,
  stopAll,
  stopGracefully,
  stoppingOnSignal,
  waitFor200,
  waitForLine,
} from "./children.js";
import { authSettings, measureAuthOverhead } from "./auth-latency.js";
import { createDataDir, describeTarget, ROOT, startPodium, type DatabaseTarget } from "./podium.js";
import {
  machineInfo,
  mergeSessionsMarkdown,
  renderMarkdown,
  renderSessionsOnlyText,
  renderText,
  type Report,
} from "./report.js";
import { measureSessions, sessionsSettings } from "./sessions-bench.js";
import { measureRealtime, realtimeSettings } from "./realtime-bench.js";
import { runRealtimeOnly } from "./realtime-only.js";
import { measureQa, qaSettings } from "./qa-bench.js";
import { runQaOnly } from "./qa-only.js";
import { measureSignaling, signalingSettings } from "./signaling-bench.js";
import { runSignalingOnly } from "./signaling-only.js";
import { measureStarts } from "./startup.js";
import { loadProblems, measureLoad, type LoadResult, type LoadSettings } from "./throughput.js";

const CONNECTIONS = 100;
const WARMUP_S = 2;
const WARM_STARTS = 3;
const RESULTS = join(ROOT, "bench", "RESULTS.md");

const cleanups: Array<() => Promise<void>> = [];
async function cleanup(): Promise<void> {
  await stopAll();
  for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined);
}

function numberFromEnv(name: string, fallback: number, max: number, integer: boolean): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(
      `${name} must be a ${integer ? "whole " : ""}number in (0, ${max}] (got ${JSON.stringify(raw)})`,
    );
  }
  return value;
}

function build(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const npm = spawn("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
    npm.once("error", reject);
    npm.once("exit", (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`npm run build failed (exit code ${code})`)),
    );
  });
}

async function expectJson(url: string, check: (body: unknown) => boolean): Promise<void> {
  const res = await httpGet(url);
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    body = res.body;
  }
  if (res.status !== 200 || !check(body)) {
    throw new Error(
      `GET ${url} answered ${res.status} ${res.body.slice(0, 300)}: not what the benchmark measures`,
    );
  }
}

const field = (body: unknown, key: string): unknown =>
  typeof body === "object" && body !== null ? (body as Record<string, unknown>)[key] : undefined;

async function throughput(
  target: DatabaseTarget,
  settings: LoadSettings,
  rounds: number,
  log: (line: string) => void,
): Promise<Pick<Report, "bare" | "live" | "health" | "loadServerExits">> {
  const barePort = await freePort();
  const bare = spawnChild(
    "bare-fastify",
    process.execPath,
    ["--import", "tsx", join(ROOT, "bench", "bare-fastify.ts")],
    { ...process.env, NODE_ENV: "production", HOST: "127.0.0.1", PORT: String(barePort) },
  );
  const podium = await startPodium("podium (throughput)", target);
  await waitForLine(bare, "bare-fastify ready", 30_000);
  await waitFor200(`${podium.url}/api/health`, podium.child, 120_000);

  const targets = [
    {
      label: "bare Fastify GET /",
      url: `http://127.0.0.1:${barePort}/`,
      ok: (b: unknown) => field(b, "hello") === "world",
    },
    {
      label: "Podium GET /api/health/live",
      url: `${podium.url}/api/health/live`,
      ok: (b: unknown) => field(b, "status") === "ok",
    },
    {
      label: "Podium GET /api/health (select 1)",
      url: `${podium.url}/api/health`,
      ok: (b: unknown) => field(b, "status") === "ok",
    },
  ];
  const results: LoadResult[][] = targets.map(() => []);
  for (let round = 1; round <= rounds; round++) {
    if (rounds > 1) log(`  round ${round}/${rounds}`);
    for (const [i, t] of targets.entries()) {
      await expectJson(t.url, t.ok);
      log(`  ${t.label}: ${settings.warmupS} s warm-up, ${settings.durationS} s measured…`);
      const result = await measureLoad(t.label, t.url, settings);
      const problems = loadProblems(result);
      const others =
        result.othersCpu === undefined ? "" : `, others' CPU ${Math.round(result.othersCpu * 100)} %`;
      log(
        `    ${Math.round(result.reqPerSec)} req/s, p50 ${result.latencyP50Ms} ms, p99 ${result.latencyP99Ms} ms` +
          `${others}${problems ? ` (${problems})` : ""}`,
      );
      results[i]?.push(result);
    }
  }
  const exits: Report["loadServerExits"] = [];
  for (const child of [bare, podium.child]) {
    const stop = await stopGracefully(child, 20_000);
    exits.push({ name: child.name, code: stop.code, signal: stop.signal });
    if (stop.code !== 0)
      log(`  ${child.name} exited with ${stop.code ?? stop.signal} on SIGTERM:\n${child.tail()}`);
  }
  const [bareRuns = [], live = [], health = []] = results;
  return { bare: bareRuns, live, health, loadServerExits: exits };
}

/** Which sections to run: all (BENCH_ONLY unset) or one. */
function onlyFromEnv(): "sessions" | "realtime" | "qa" | "signaling" | undefined {
  const raw = process.env.BENCH_ONLY;
  if (raw === undefined || raw === "") return undefined;
  if (raw === "sessions" || raw === "realtime" || raw === "qa" || raw === "signaling") return raw;
  throw new Error(
    `BENCH_ONLY must be "sessions", "realtime", "qa", "signaling" or unset (got ${JSON.stringify(raw)})`,
  );
}

async function main(): Promise<number> {
  installCleanupHandlers(cleanup);
  const only = onlyFromEnv();
  const durationS = numberFromEnv("BENCH_DURATION_S", 10, 600, false);
  const rounds = numberFromEnv("BENCH_ROUNDS", 1, 20, true);
  const settings: LoadSettings = {
    connections: CONNECTIONS,
    durationS,
    warmupS: Math.min(WARMUP_S, durationS),
  };
  const log = (line: string) => console.log(line);
  const date = new Date();
  const machine = machineInfo(ROOT);

  log("Building Podium (npm run build)…");
  const buildMs = await build();

  let target: DatabaseTarget;
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    target = { kind: "url", url: databaseUrl };
  } else {
    const data = await createDataDir();
    cleanups.push(data.remove);
    target = { kind: "embedded", dataDir: data.dir };
  }
  const database = describeTarget(target);
  log(`Database: ${database}`);
  const sessionSettings = sessionsSettings(durationS, settings.warmupS);

  if (only === "sessions") {
    log(`Sessions and attendees (list and join storm against a bare Fastify + pg baseline)…`);
    const sessions = await measureSessions(target, sessionSettings, log);
    const { text, invalid } = renderSessionsOnlyText(sessions);
    log(text);
    const existing = await readFile(RESULTS, "utf8").catch(() => undefined);
    await writeFile(RESULTS, mergeSessionsMarkdown(existing, sessions, { date, machine, database, buildMs }));
    log(`\nReplaced the "Sessions and attendees" section of ${RESULTS}`);
    if (invalid) console.error("Some figures are doubtful (see the checks above).");
    return invalid ? 1 : 0;
  }
  if (only === "realtime")
    return runRealtimeOnly({ target, date, machine, database, buildMs, results: RESULTS, log });
  if (only === "qa") {
    const { warmupS } = settings;
    return runQaOnly({ target, durationS, warmupS, date, machine, database, buildMs, results: RESULTS, log });
  }
  if (only === "signaling")
    return runSignalingOnly({ target, date, machine, database, buildMs, results: RESULTS, log });

  log(`Start time: 1 cold start, ${WARM_STARTS} warm starts…`);
  const starts = await measureStarts(target, WARM_STARTS, log);

  log(`HTTP throughput: ${CONNECTIONS} connections, no pipelining…`);
  const load = await throughput(target, settings, rounds, log);

  log(`Authentication overhead (protected vs open route, same server, same run)…`);
  const auth = await measureAuthOverhead(target, authSettings(durationS, settings.warmupS), log);

  log(`Sessions and attendees (list and join storm against a bare Fastify + pg baseline)…`);
  const sessions = await measureSessions(target, sessionSettings, log);

  log(`Real-time (REST change → receipt on every socket, heap per socket, waves) against raw Socket.io…`);
  const realtime = await measureRealtime(target, realtimeSettings(), log);

  log(
    `Q&A (list against bare Fastify + pg; vote burst and sustained votes against the same upserts through pg)…`,
  );
  const qa = await measureQa(target, qaSettings(durationS, settings.warmupS), log);

  log(
    `WebRTC signaling (presenter + scripted attendees, relay latency and routing) against a raw Socket.io relay…`,
  );
  const signaling = await measureSignaling(target, signalingSettings(), log);

  const report: Report = {
    date,
    machine,
    database,
    settings,
    buildMs,
    starts,
    ...load,
    auth,
    sessions,
    realtime,
    qa,
    signaling,
  };
  const { text, invalid } = renderText(report);
  log(text);
  await writeFile(RESULTS, renderMarkdown(report));
  log(`\nWrote ${RESULTS}`);
  if (invalid)
    console.error("Some figures are doubtful (errors, non-2xx or unclean exits): see the checks above.");
  return invalid ? 1 : 0;
}

// After a signal, the signal handler cleans up and exits; whatever main() does meanwhile is moot.
main()
  .then(async (code) => {
    if (stoppingOnSignal()) return;
    await cleanup();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    if (stoppingOnSignal()) return;
    console.error("benchmark failed:", error instanceof Error ? (error.stack ?? error.message) : error);
    await cleanup();
    process.exit(1);
  });
