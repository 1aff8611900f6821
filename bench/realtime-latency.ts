/**
 * The latency part of the real-time benchmark (realtime-bench.ts): warm-up bursts, then rounds of one burst per
 * server, alternating which goes first, sent and timed by the clients' process (realtime-client.ts); the
 * receipts of all rounds summarised per server.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { screenQuestion } from "../src/modules/questions/question-filter.js";
import { cpuSnapshot, othersShare } from "./cpu.js";
import type { RealtimeSettings, RtMode } from "./realtime-bench.js";
import type { BurstResult, TriggerSpec } from "./realtime-client.js";
import type { ClientProcess } from "./realtime-setup.js";
import { questionText } from "./realtime-triggers.js";

/**
 * What a mode measures: the raw Socket.io broadcast (baseline), the same after a committed INSERT (reference),
 * Podium's PATCH /api/sessions/:id, Podium's question creation. Every round sends one burst of each, in an order
 * that rotates from round to round.
 */
export const RT_SYSTEMS = ["raw", "durable", "podium", "question"] as const;
export type RtSystem = (typeof RT_SYSTEMS)[number];

/** Quiet time before each burst (the previous burst's garbage, the servers' timers). */
const PAUSE_MS = 1_000;
/**
 * A round during which other processes used this share of the machine's CPU or more (report.ts's BUSY_MACHINE)
 * is discarded and repeated after DISTURBED_WAIT_MS, up to ROUND_ATTEMPTS times in all (the last one is kept and
 * flagged by the report's check).
 */
const REPEAT_ABOVE_OTHERS_CPU = 0.1;
const ROUND_ATTEMPTS = 4;
const DISTURBED_WAIT_MS = 20_000;
/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICK_MS = 10;

/**
 * CPU time (ms) used so far by these processes and their descendants (Podium's embedded PostgreSQL included),
 * counting the children each has reaped (cutime, cstime): a PostgreSQL backend that exits keeps its share.
 */
function treeCpuMs(roots: number[]): number {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(entry), Number(fields[1]));
      // utime(14) stime(15) cutime(16) cstime(17): index = field number − 3.
      const own = Number(fields[11]) + Number(fields[12]);
      ticks.set(Number(entry), own + Number(fields[13]) + Number(fields[14]));
    } catch {
      // exited meanwhile
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parent.get(p))
      if (roots.includes(p)) return true;
    return false;
  };
  let total = 0;
  for (const [pid, t] of ticks) if (inTree(pid)) total += t;
  return total * TICK_MS;
}

export interface LatencyRound {
  round: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  othersCpu: number | undefined;
  /** The clients' process CPU ÷ wall time of the burst. */
  clientCpu: number;
  /** CPU time of the servers' processes (and their children) during the burst ÷ changes sent. */
  serverCpuPerChangeMs: number;
  pacing: number;
}

export interface SystemLatency {
  system: RtSystem;
  /** Changes sent in this mode, warm-up and discarded rounds included (what the servers broadcast). */
  triggered: number;
  sockets: number;
  /** Changes of the rounds kept (the figures' sample). */
  messages: number;
  receipts: number;
  expected: number;
  missing: number;
  duplicates: number;
  strays: number;
  disconnects: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  meanUs: number;
  /** Per message: first receipt, and first → last receipt (the fan-out), medians. */
  firstP50Us: number;
  spreadP50Us: number;
  /** The trigger's HTTP answer time (send → answer). */
  triggerP50Us: number;
  triggerP99Us: number;
  statuses: Record<string, number>;
  /** The event's payload as JSON. */
  payloadBytes: number;
  /** Median over the rounds of the servers' CPU time per change (all instances, PostgreSQL and Redis included). */
  serverCpuPerChangeMs: number;
  /** p50/p99 of the sockets on each instance (the trigger goes to the first). */
  byInstance: Array<{ receipts: number; p50Us: number; p99Us: number }>;
  rounds: LatencyRound[];
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}
const sortedOf = (values: number[]) => Float64Array.from(values).sort();

function summarize(
  system: RtSystem,
  bursts: BurstResult[],
  rounds: LatencyRound[],
  triggered: number,
): SystemLatency {
  const instances = Math.max(...bursts.map((b) => b.latenciesUs.length));
  const byInstance = Array.from({ length: instances }, (_, i) =>
    sortedOf(bursts.flatMap((b) => b.latenciesUs[i] ?? [])),
  );
  const all = sortedOf(bursts.flatMap((b) => b.latenciesUs.flat()));
  const statuses: Record<string, number> = {};
  for (const b of bursts)
    for (const [k, n] of Object.entries(b.statuses)) statuses[k] = (statuses[k] ?? 0) + n;
  const sum = (pick: (b: BurstResult) => number) => bursts.reduce((n, b) => n + pick(b), 0);
  return {
    system,
    triggered,
    sockets: bursts[0]?.sockets ?? 0,
    messages: sum((b) => b.sent),
    receipts: all.length,
    expected: sum((b) => b.expected),
    missing: sum((b) => b.missing),
    duplicates: sum((b) => b.duplicates),
    strays: sum((b) => b.strays),
    disconnects: sum((b) => b.disconnects),
    p50Us: percentile(all, 0.5),
    p99Us: percentile(all, 0.99),
    maxUs: all.at(-1) ?? Number.NaN,
    meanUs: all.reduce((a, b) => a + b, 0) / all.length,
    firstP50Us: percentile(sortedOf(bursts.flatMap((b) => b.firstUs)), 0.5),
    spreadP50Us: percentile(sortedOf(bursts.flatMap((b) => b.spreadUs)), 0.5),
    triggerP50Us: percentile(sortedOf(bursts.flatMap((b) => b.triggerUs)), 0.5),
    triggerP99Us: percentile(sortedOf(bursts.flatMap((b) => b.triggerUs)), 0.99),
    statuses,
    payloadBytes: bursts[0]?.payloadBytes ?? 0,
    serverCpuPerChangeMs: sortedOf(rounds.map((r) => r.serverCpuPerChangeMs))[
      Math.floor((rounds.length - 1) / 2)
    ]!,
    byInstance: byInstance.map((s) => ({
      receipts: s.length,
      p50Us: percentile(s, 0.5),
      p99Us: percentile(s, 0.99),
    })),
    rounds,
  };
}

export interface Side {
  group: string;
  trigger: TriggerSpec;
  /** The processes serving this side (servers, and a Redis they use), for their CPU time. */
  pids: number[];
}

/**
 * The four sides of a mode, each burst triggered on the first instance (the url given): raw `POST /broadcast`
 * of the session object (`session:updated`); the same after committing it to PostgreSQL (`durable`, a reference:
 * what a durable write alone costs); Podium's PATCH by the host; Podium's question creation by the attendees in
 * turn. The two raw sides share their sockets, and so do Podium's two.
 */
export function latencySides(s: {
  groups: { podium: string; raw: string };
  urls: { podium: string; raw: string };
  pids: { podium: number[]; raw: number[] };
  sessionId: string;
  hostToken: string;
  askerTokens: string[];
  template: Record<string, unknown>;
}): Record<RtSystem, Side> {
  const { sessionId } = s;
  const raw = {
    kind: "raw-broadcast",
    url: s.urls.raw,
    sessionId,
    event: "session:updated",
    template: s.template,
    field: "title",
  } as const;
  return {
    raw: { group: s.groups.raw, trigger: raw, pids: s.pids.raw },
    durable: { group: s.groups.raw, trigger: { ...raw, durable: true }, pids: s.pids.raw },
    podium: {
      group: s.groups.podium,
      trigger: { kind: "podium-session-patch", url: s.urls.podium, sessionId, hostToken: s.hostToken },
      pids: s.pids.podium,
    },
    question: {
      group: s.groups.podium,
      trigger: { kind: "podium-question-create", url: s.urls.podium, sessionId, askerTokens: s.askerTokens },
      pids: s.pids.podium,
    },
  };
}

/**
 * A burst's tag: random hex that Podium's screening leaves as it is. Read as leetspeak, some hex spells a word
 * the profanity filter masks ("a55…" → "***…", about one tag in 800), and the receipts of a burst whose mark was
 * masked could not be told apart: they counted as missing. Checked here, not in the clients' process, which
 * need not load the filter.
 */
export function burstTag(): string {
  for (;;) {
    const tag = randomBytes(4).toString("hex");
    const text = questionText(tag, 0);
    const verdict = screenQuestion(text, { profanity: "mask", maxLinks: 0 });
    if (verdict.action === "accept" && verdict.text === text) return tag;
  }
}

/**
 * `VACUUM (ANALYZE)` of the database both Podium and the raw + INSERT server write to, before each round: what
 * PostgreSQL's autovacuum does in any deployment, and what these machines' PostgreSQL does not (`autovacuum = off`).
 * Without it, a run left thousands of dead versions of the one session row every change updates, and of the
 * attendees' rows the presence keep-alive touches, and they piled up from run to run (statement outliers of
 * 5–48 ms, the tails of 2026-11-27's runs 34–38: docs/REALTIME.md).
 */
async function vacuum(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("vacuum (analyze)");
  } finally {
    await client.end();
  }
}

/** Warm-up bursts, then `rounds` rounds of one burst per system, the order rotating from round to round. */
export async function measureLatency(
  client: ClientProcess,
  sides: Record<RtSystem, Side>,
  settings: RealtimeSettings,
  mode: RtMode,
  log: (line: string) => void,
  databaseUrl: string,
): Promise<Record<RtSystem, SystemLatency> & { discardedRounds: number }> {
  const burst = (side: Side, messages: number) =>
    client.call<BurstResult>("/burst", {
      group: side.group,
      trigger: side.trigger,
      messages,
      hz: settings.hz,
      tag: burstTag(),
    });
  const systems = RT_SYSTEMS;
  const triggered: Record<RtSystem, number> = { raw: 0, durable: 0, podium: 0, question: 0 };
  for (const system of systems) {
    const warm = await burst(sides[system], settings.warmupMessages);
    triggered[system] += warm.sent;
    log(`    warm-up ${system}: ${warm.latenciesUs.flat().length}/${warm.expected} receipts`);
  }
  const perRound = Math.ceil(settings.messages / settings.rounds);
  const bursts: Record<RtSystem, BurstResult[]> = { raw: [], durable: [], podium: [], question: [] };
  const rounds: Record<RtSystem, LatencyRound[]> = { raw: [], durable: [], podium: [], question: [] };
  let discardedRounds = 0;
  for (let round = 1; round <= settings.rounds; round++) {
    const first = (round - 1) % systems.length;
    const order = [...systems.slice(first), ...systems.slice(0, first)];
    for (let attempt = 1; ; attempt++) {
      await vacuum(databaseUrl);
      const results: Array<[RtSystem, BurstResult, LatencyRound]> = [];
      for (const system of order) {
        await sleep(PAUSE_MS);
        const before = cpuSnapshot();
        const serverBefore = treeCpuMs(sides[system].pids);
        const result = await burst(sides[system], perRound);
        triggered[system] += result.sent;
        const serverCpuMs = treeCpuMs(sides[system].pids) - serverBefore;
        const othersCpu = othersShare(before, cpuSnapshot());
        const sorted = sortedOf(result.latenciesUs.flat());
        const r: LatencyRound = {
          round,
          p50Us: percentile(sorted, 0.5),
          p99Us: percentile(sorted, 0.99),
          maxUs: sorted.at(-1) ?? Number.NaN,
          othersCpu,
          clientCpu: result.cpuMs / result.wallMs,
          serverCpuPerChangeMs: serverCpuMs / result.sent,
          pacing: result.pacing,
        };
        results.push([system, result, r]);
        const ms = (us: number) => (us / 1000).toFixed(1);
        log(
          `    ${mode} round ${round}/${settings.rounds}, ${system}: p50 ${ms(r.p50Us)} ms, p99 ${ms(r.p99Us)} ms, ` +
            `max ${ms(r.maxUs)} ms, server CPU ${r.serverCpuPerChangeMs.toFixed(2)} ms per change, ` +
            `others' CPU ${Math.round((othersCpu ?? 0) * 100)} %; ${sorted.length}/${result.expected} receipts` +
            (result.missing ? `, ${result.missing} MISSING` : ""),
        );
      }
      const busiest = Math.max(...results.map(([, , r]) => r.othersCpu ?? 0));
      if (busiest < REPEAT_ABOVE_OTHERS_CPU || attempt === ROUND_ATTEMPTS) {
        for (const [system, result, r] of results) {
          bursts[system].push(result);
          rounds[system].push(r);
        }
        break;
      }
      discardedRounds++;
      log(
        `    round ${round} disturbed (others' CPU up to ${Math.round(busiest * 100)} %): discarded, repeated in ${DISTURBED_WAIT_MS / 1000} s`,
      );
      await sleep(DISTURBED_WAIT_MS);
    }
  }
  return {
    raw: summarize("raw", bursts.raw, rounds.raw, triggered.raw),
    durable: summarize("durable", bursts.durable, rounds.durable, triggered.durable),
    podium: summarize("podium", bursts.podium, rounds.podium, triggered.podium),
    question: summarize("question", bursts.question, rounds.question, triggered.question),
    discardedRounds,
  };
}
