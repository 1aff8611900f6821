/**
 * Real-time (issue 5, point 11): the latency from a REST change to its receipt on every socket of a session,
 * Podium beside a raw Socket.io 4.8 server measured in the same run; the same with 2 instances sharing
 * PostgreSQL and Redis; the heap per idle socket; the heap across waves of connects and disconnects.
 *
 * Servers: Podium (`node dist/main.js`) and the raw baseline (realtime-raw.ts) each in their own process, both
 * started with `--expose-gc` and the heap probe preloaded (realtime-heap-probe.mjs). Clients: realtime-client.ts
 * in one process of their own, which also sends the triggering REST calls, so send and receipt share a clock.
 * Two REST changes are measured (realtime-triggers.ts): Podium's `PATCH /api/sessions/:id` (a new title; every
 * socket gets `session:updated` after the commit) and question creation (`POST /api/sessions/:id/questions`; every
 * socket gets `question:created`), both against the raw server's `POST /broadcast/:id` →
 * `io.to(room).emit("session:updated", …)` of the same session object, in the same rounds (realtime-latency.ts).
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, stopGracefully, waitFor200, type Child } from "./children.js";
import { PODIUM_ENTRY, startPodium, type DatabaseTarget } from "./podium.js";
import type { ConnectResult } from "./realtime-client.js";
import { latencySides, measureLatency, type SystemLatency } from "./realtime-latency.js";
import { measureTwoInstances } from "./realtime-redis.js";
import {
  attendeeSockets,
  broadcastCounts,
  countsSince,
  NO_PROVIDER,
  REALTIME_SERVER_ENV,
  SETTLE_MS,
  createLiveSession,
  dropSession,
  expectConnected,
  heapObjects,
  joinAttendees,
  nodeFlags,
  nulls,
  probeHeap,
  rawSockets,
  sharedDatabaseUrl,
  signInHost,
  startClient,
  startRaw,
  waitForSockets,
  type BroadcastCounts,
  type ClientProcess,
  type Memory,
} from "./realtime-setup.js";

/** Sockets connected and closed on each server before the "before" heap reading (code paths warm). */
const WARM_SOCKETS = 50;

export type RtMode = "single" | "redis";

export interface RealtimeSettings {
  attendees: number;
  /** Measured messages per system and mode, split over `rounds`; plus `warmupMessages` first. */
  messages: number;
  rounds: number;
  hz: number;
  warmupMessages: number;
  waves: number;
  waveSockets: number;
}

function fromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** BENCH_RT_ATTENDEES, BENCH_RT_MESSAGES, BENCH_RT_WAVES, BENCH_RT_WAVE_SOCKETS: smaller for a smoke run. */
export function realtimeSettings(): RealtimeSettings {
  return {
    attendees: fromEnv("BENCH_RT_ATTENDEES", 1_000),
    // 8 rounds of 50: one disturbed burst (a collection, a checkpoint) weighs an eighth of the sample, not a quarter.
    messages: fromEnv("BENCH_RT_MESSAGES", 400),
    rounds: 8,
    hz: 20,
    // 5 s per server before measuring: Podium has far more code than the raw server for V8 to optimize first.
    warmupMessages: 100,
    waves: fromEnv("BENCH_RT_WAVES", 10),
    waveSockets: fromEnv("BENCH_RT_WAVE_SOCKETS", 500),
  };
}

export interface ModeResult {
  mode: RtMode;
  instances: number;
  raw: SystemLatency;
  /** Raw Socket.io committing each change to PostgreSQL before its emit: a reference, not a target. */
  durable: SystemLatency;
  podium: SystemLatency;
  question: SystemLatency;
  /** Rounds discarded and repeated because other processes took the CPU meanwhile. */
  discardedRounds: number;
  /**
   * Broadcasts counted by each Podium instance (/api/metrics) during the warm-up and measured bursts:
   * `session:updated` (PATCH) and `question:created`.
   */
  eventsOut: BroadcastCounts;
  connect: { podium: ConnectResult; raw: ConnectResult };
}

/** The servers whose memory is measured. */
export type ServerKind = "podium" | "raw";

export interface HeapResult {
  system: ServerKind;
  sockets: number;
  before: Memory;
  after: Memory;
}

export interface WaveSeries {
  system: ServerKind;
  socketsPerWave: number;
  /** [0]: after the warm-up wave; [w]: after wave w. */
  readings: Memory[];
  failedConnects: number;
}

export interface RealtimeReport {
  settings: RealtimeSettings;
  serverEnv: Record<string, string>;
  modes: ModeResult[];
  /** Why the Redis mode was not measured, if it was not. */
  redisNotMeasured?: string;
  heap: HeapResult[];
  waves: WaveSeries[];
  clientOpenFiles: number;
  cpuProfileDir: string | undefined;
  /** BENCH_RT_TRACE_DIR: the servers carried the trace probe (a diagnostic run). */
  traceDir: string | undefined;
  exits: Array<{ name: string; code: number | null; signal: NodeJS.Signals | null }>;
}

export async function measureRealtime(
  target: DatabaseTarget,
  settings: RealtimeSettings,
  log: (line: string) => void,
): Promise<RealtimeReport> {
  const profileDir = process.env.BENCH_RT_CPU_PROF || undefined;
  const traceDir = process.env.BENCH_RT_TRACE_DIR || undefined;
  const flags = nodeFlags(profileDir, traceDir);
  const tag = randomBytes(4).toString("hex");
  const exits: RealtimeReport["exits"] = [];
  const servers: Child[] = [];
  const stopAllServers = async () => {
    for (const child of servers.splice(0).reverse()) {
      const stop = await stopGracefully(child, 20_000);
      exits.push({ name: child.name, code: stop.code, signal: stop.signal });
      if (stop.code !== 0) log(`  ${child.name} exited with ${stop.code ?? stop.signal}:\n${child.tail()}`);
    }
  };
  const client = await startClient(4 * settings.attendees + 1_024);
  if (client.openFiles < 2 * settings.attendees + 256)
    throw new Error(
      `the clients' open-files limit is ${client.openFiles}: raise it above ${2 * settings.attendees + 256}`,
    );
  try {
    // --- One instance: heap per idle socket, latency, waves.
    log(`  one instance each: Podium (embedded PostgreSQL, in-process adapter) and raw Socket.io…`);
    const embeddedPort = await freePort();
    const podium = await startPodium("podium (realtime)", target, {
      args: [...flags, PODIUM_ENTRY],
      env: {
        ...REALTIME_SERVER_ENV,
        ...NO_PROVIDER,
        REDIS_URL: undefined,
        EMBEDDED_PG_PORT: String(embeddedPort),
      },
    });
    servers.push(podium.child);
    await waitFor200(`${podium.url}/api/health`, podium.child, 120_000);
    // After Podium is up: its embedded PostgreSQL, which the raw server's durable writes use too, exists by now.
    const raw = await startRaw("realtime-raw", flags, await sharedDatabaseUrl(target, embeddedPort));
    servers.push(raw.child);
    const publicUrl = process.env.PUBLIC_URL || podium.url;
    const host = await signInHost(podium.url, publicUrl, `realtime-host-${tag}@example.test`);
    const capacity = settings.attendees + WARM_SOCKETS + (settings.waves + 1) * settings.waveSockets;
    const session = await createLiveSession(podium.url, host, `Realtime bench ${tag}`, capacity);
    log(`  ${settings.attendees} attendees join over HTTP…`);
    const tokens = await joinAttendees(podium.url, session.id, settings.attendees, "Attendee");
    const warmTokens = await joinAttendees(podium.url, session.id, WARM_SOCKETS, "Warm-up");
    const podiumCount = () => attendeeSockets(podium.url);
    const rawCount = () => rawSockets(raw.url);
    const sessionId = session.id;
    await client.call("/connect", {
      group: "warm-podium",
      urls: [podium.url],
      sessionId,
      tokens: warmTokens,
    });
    await client.call("/connect", {
      group: "warm-raw",
      urls: [raw.url],
      sessionId,
      tokens: nulls(WARM_SOCKETS),
    });
    await client.call("/close", { group: "warm-podium" });
    await client.call("/close", { group: "warm-raw" });
    await waitForSockets([podiumCount, rawCount], 0, "after the warm-up sockets");
    await sleep(SETTLE_MS);
    const before = { podium: await probeHeap(podium.child), raw: await probeHeap(raw.child) };

    log(`  connecting ${settings.attendees} sockets to each server…`);
    const connect = {
      raw: expectConnected(
        await client.call<ConnectResult>("/connect", {
          group: "raw",
          urls: [raw.url],
          sessionId,
          tokens: nulls(settings.attendees),
        }),
        "raw",
      ),
      podium: expectConnected(
        await client.call<ConnectResult>("/connect", {
          group: "podium",
          urls: [podium.url],
          sessionId,
          tokens,
        }),
        "Podium",
      ),
    };
    log(
      `    connected in ${(connect.raw.ms / 1000).toFixed(1)} s (raw), ${(connect.podium.ms / 1000).toFixed(1)} s (Podium)`,
    );
    await waitForSockets([podiumCount], settings.attendees, "Podium");
    await waitForSockets([rawCount], settings.attendees, "raw");
    await sleep(SETTLE_MS);
    const after = { podium: await probeHeap(podium.child), raw: await probeHeap(raw.child) };
    const heap: HeapResult[] = (["podium", "raw"] as const).map((system) => ({
      system,
      sockets: settings.attendees,
      before: before[system],
      after: after[system],
    }));

    log(
      `  latency: ${settings.messages} changes per server at ${settings.hz} Hz in ${settings.rounds} rounds…`,
    );
    const eventsBefore = await broadcastCounts([podium.url]);
    const single = await measureLatency(
      client,
      latencySides({
        groups: { podium: "podium", raw: "raw" },
        urls: { podium: podium.url, raw: raw.url },
        pids: { podium: [podium.child.pid], raw: [raw.child.pid] },
        sessionId,
        hostToken: host,
        askerTokens: tokens,
        template: session.state,
      }),
      settings,
      "single",
      log,
      await sharedDatabaseUrl(target, embeddedPort),
    );
    const eventsOut = countsSince(eventsBefore, await broadcastCounts([podium.url]));
    const modes: ModeResult[] = [{ mode: "single", instances: 1, ...single, eventsOut, connect }];
    await client.call("/close", { group: "podium" });
    await client.call("/close", { group: "raw" });
    await waitForSockets([podiumCount, rawCount], 0, "after the latency sockets");

    const waves = await measureWaves(
      client,
      { podium: { ...podium, count: podiumCount }, raw: { ...raw, count: rawCount } },
      sessionId,
      settings,
      log,
    );
    await dropSession(podium.url, host, sessionId);
    await stopAllServers();

    // --- Two instances sharing PostgreSQL and a private Redis.
    let redisNotMeasured: string | undefined;
    try {
      modes.push(await measureTwoInstances(target, settings, flags, client, servers, tag, log));
    } catch (error) {
      redisNotMeasured = error instanceof Error ? error.message : String(error);
      log(`  Redis mode not measured: ${redisNotMeasured}`);
    }
    await stopAllServers();
    return {
      settings,
      serverEnv: REALTIME_SERVER_ENV,
      modes,
      redisNotMeasured,
      heap,
      waves,
      clientOpenFiles: client.openFiles,
      cpuProfileDir: profileDir,
      traceDir,
      exits,
    };
  } finally {
    await client.call("/exit").catch(() => undefined);
    await stopGracefully(client.child, 5_000);
    await stopAllServers();
  }
}

interface ServerUnderTest {
  url: string;
  child: Child;
  /** Sockets connected to it now, as it reports them. */
  count: () => Promise<number>;
}

/**
 * Heap after forced GC after a warm-up wave (reading 0) and after each counted wave: a wave connects `waveSockets` sockets (Podium: new
 * attendees, joined over HTTP first), waits for their snapshots, closes them, and waits until the server reports
 * none, then SETTLE_MS.
 */
async function measureWaves(
  client: ClientProcess,
  servers: Record<"podium" | "raw", ServerUnderTest>,
  sessionId: string,
  settings: RealtimeSettings,
  log: (line: string) => void,
): Promise<WaveSeries[]> {
  log(
    `  ${settings.waves} waves of ${settings.waveSockets} connects and disconnects per server, after one uncounted…`,
  );
  const waves: WaveSeries[] = (["podium", "raw"] as const).map((system) => ({
    system,
    socketsPerWave: settings.waveSockets,
    readings: [],
    failedConnects: 0,
  }));
  // Wave 0 warms up what the waves exercise (the connect path with a board to snapshot, pools, compiled code).
  for (let wave = 0; wave <= settings.waves; wave++) {
    for (const series of waves) {
      const server = servers[series.system];
      const tokens =
        series.system === "podium"
          ? await joinAttendees(server.url, sessionId, settings.waveSockets, `Wave ${wave}`)
          : nulls(settings.waveSockets);
      const result = await client.call<ConnectResult>("/connect", {
        group: "wave",
        urls: [server.url],
        sessionId,
        tokens,
      });
      series.failedConnects += result.failed;
      await client.call("/close", { group: "wave" });
      await waitForSockets([server.count], 0, `${series.system} after wave ${wave}`);
      await sleep(SETTLE_MS);
      series.readings.push(await probeHeap(server.child));
    }
    const mib = (s: WaveSeries) => {
      const last = s.readings.at(-1)!;
      return `${(heapObjects(last) / 2 ** 20).toFixed(2)} MiB (code ${(last.codeUsed / 2 ** 20).toFixed(2)})`;
    };
    log(`    wave ${wave}: heap objects Podium ${mib(waves[0]!)}, raw ${mib(waves[1]!)}`);
  }
  return waves;
}
