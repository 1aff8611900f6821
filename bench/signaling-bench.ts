/**
 * Issue 7, point 9: WebRTC signaling under load. One presenter and `attendees` (200) scripted signaling clients of
 * one session, plus a bystander session, through Podium (`node dist/main.js`) and through a raw Socket.io relay
 * (signaling-raw.ts) measured in the same rounds, each client run in a process of its own (signaling-client.ts):
 * relay latency (send → receipt by the addressee, p50/p99) at go-live and paced, misrouted messages (must be 0),
 * and real @roamhq/wrtc peers connecting through the server.
 *
 * Settings (environment): BENCH_SIG_ATTENDEES (200), BENCH_SIG_BYSTANDERS (20), BENCH_SIG_STEADY_S (10),
 * BENCH_SIG_RATE (messages/s in the paced phase, 400), BENCH_SIG_WRTC (real peers, 10), BENCH_SIG_ROUNDS (3).
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, spawnChild, stopGracefully, waitFor200, waitForLine } from "./children.js";
import { cpuSnapshot, othersShare } from "./cpu.js";
import { ROOT, startPodium, type DatabaseTarget } from "./podium.js";
import {
  createLiveSession,
  joinAttendees,
  NO_PROVIDER,
  REALTIME_SERVER_ENV,
  signInHost,
} from "./realtime-setup.js";
import type { ClientConfig, ClientResult } from "./signaling-client.js";

export interface SignalingSettings {
  attendees: number;
  bystanders: number;
  steadySeconds: number;
  steadyRate: number;
  wrtcPeers: number;
  rounds: number;
}

function intFromEnv(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new Error(`${name} must be a whole number in [0, ${max}] (got ${JSON.stringify(raw)})`);
  return value;
}

export function signalingSettings(): SignalingSettings {
  return {
    attendees: intFromEnv("BENCH_SIG_ATTENDEES", 200, 2_000),
    bystanders: intFromEnv("BENCH_SIG_BYSTANDERS", 20, 1_000),
    steadySeconds: intFromEnv("BENCH_SIG_STEADY_S", 10, 600),
    steadyRate: intFromEnv("BENCH_SIG_RATE", 400, 20_000),
    wrtcPeers: intFromEnv("BENCH_SIG_WRTC", 10, 100),
    rounds: Math.max(1, intFromEnv("BENCH_SIG_ROUNDS", 3, 20)),
  };
}

export interface SignalingRun {
  result: ClientResult;
  /** Share of the machine's CPU other processes took during the run (0–1), if known. */
  othersCpu: number | undefined;
}

export interface SignalingReport {
  settings: SignalingSettings;
  /** Environment Podium ran with, beside startPodium's defaults. */
  serverEnv: Record<string, string>;
  rounds: Array<{ podium: SignalingRun; raw: SignalingRun }>;
  serverExits: Array<{ name: string; code: number | null; signal: NodeJS.Signals | null }>;
}

async function runClient(
  config: Omit<ClientConfig, "resultFile">,
  dir: string,
  round: number,
): Promise<SignalingRun> {
  const file = join(dir, `client-${config.mode}-${round}.json`);
  const resultFile = join(dir, `result-${config.mode}-${round}.json`);
  await writeFile(file, JSON.stringify({ ...config, resultFile }));
  const before = cpuSnapshot();
  const child = spawnChild(
    `signaling-client (${config.mode})`,
    process.execPath,
    ["--import", "tsx", join(ROOT, "bench", "signaling-client.ts"), file],
    { ...process.env, NODE_ENV: "production" },
  );
  await waitForLine(child, "signaling-client done", 180_000);
  await child.exit;
  const after = cpuSnapshot();
  const result = JSON.parse(await readFile(resultFile, "utf8")) as ClientResult;
  return { result, othersCpu: othersShare(before, after) };
}

export async function measureSignaling(
  target: DatabaseTarget,
  settings: SignalingSettings,
  log: (line: string) => void,
): Promise<SignalingReport> {
  const serverEnv = { ...REALTIME_SERVER_ENV };
  const podium = await startPodium("podium (signaling)", target, { env: { ...serverEnv, ...NO_PROVIDER } });
  const rawPort = await freePort();
  const raw = spawnChild(
    "signaling-raw",
    process.execPath,
    ["--import", "tsx", join(ROOT, "bench", "signaling-raw.ts")],
    { ...process.env, NODE_ENV: "production", HOST: "127.0.0.1", PORT: String(rawPort) },
  );
  // Listen for the ready line now: it may come while Podium is still starting.
  const rawReady = waitForLine(raw, "signaling-raw ready", 120_000);
  const dir = await mkdtemp(join(tmpdir(), "podium-bench-signaling-"));
  try {
    await waitFor200(`${podium.url}/api/health`, podium.child, 120_000);
    await rawReady;
    const hostToken = await signInHost(podium.url, podium.url, `signaling-bench-${Date.now()}@example.test`);
    const capacity = Math.max(settings.attendees, settings.bystanders) + 10;
    const sessionA = await createLiveSession(podium.url, hostToken, "Signaling bench", capacity);
    const sessionB = await createLiveSession(podium.url, hostToken, "Signaling bystanders", capacity);
    log(`  ${settings.attendees} attendees join session A, ${settings.bystanders} session B…`);
    const tokensA = await joinAttendees(podium.url, sessionA.id, settings.attendees, "Signal");
    const tokensB = await joinAttendees(podium.url, sessionB.id, settings.bystanders, "Bystander");
    const common = {
      steadySeconds: settings.steadySeconds,
      steadyRate: settings.steadyRate,
      wrtcPeers: settings.wrtcPeers,
    };
    const podiumConfig: Omit<ClientConfig, "resultFile"> = {
      mode: "podium",
      url: podium.url,
      sessionA: sessionA.id,
      sessionB: sessionB.id,
      hostToken,
      tokensA,
      tokensB,
      ...common,
    };
    const rawConfig: Omit<ClientConfig, "resultFile"> = {
      mode: "raw",
      url: `http://127.0.0.1:${rawPort}`,
      sessionA: sessionA.id,
      sessionB: sessionB.id,
      tokensA: tokensA.map(() => ""),
      tokensB: tokensB.map(() => ""),
      ...common,
    };
    const rounds: SignalingReport["rounds"] = [];
    for (let round = 1; round <= settings.rounds; round++) {
      log(`  round ${round}/${settings.rounds}`);
      // Alternate which server goes first, so neither always runs on a warmer machine.
      const order = round % 2 === 1 ? (["podium", "raw"] as const) : (["raw", "podium"] as const);
      const runs: Partial<Record<"podium" | "raw", SignalingRun>> = {};
      for (const mode of order) {
        const run = await runClient(mode === "podium" ? podiumConfig : rawConfig, dir, round);
        runs[mode] = run;
        log(`    ${mode}: ${summaryLine(run.result)}`);
      }
      rounds.push({ podium: runs.podium!, raw: runs.raw! });
    }
    const serverExits: SignalingReport["serverExits"] = [];
    for (const child of [podium.child, raw]) {
      const stop = await stopGracefully(child, 20_000);
      serverExits.push({ name: child.name, code: stop.code, signal: stop.signal });
    }
    return { settings, serverEnv, rounds, serverExits };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

function summaryLine(r: ClientResult): string {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  return (
    `go-live p50 ${ms(percentile(r.goLive.ms, 0.5))} p99 ${ms(percentile(r.goLive.ms, 0.99))} ` +
    `(${r.goLive.received}/${r.goLive.sent} in ${ms(r.goLive.wallMs)}); ` +
    `paced p50 ${ms(percentile(r.steady.ms, 0.5))} p99 ${ms(percentile(r.steady.ms, 0.99))} ` +
    `(${r.steady.received}/${r.steady.sent}); misrouted ${r.misrouted}; ` +
    `real peers ${r.realPeers.connected}/${r.realPeers.attempted}${r.realPeers.error ? ` (${r.realPeers.error})` : ""}`
  );
}
