/**
 * The benchmark's output: machine facts, the figures as plain-text tables for stdout, and bench/RESULTS.md.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, totalmem } from "node:os";
import type { AuthReport } from "./auth-latency.js";
import { authTables, renderAuthMarkdown, renderAuthText, type AuthTables } from "./auth-report.js";
import type { SessionsReport } from "./sessions-bench.js";
import {
  renderSessionsMarkdown,
  renderSessionsText,
  sessionsTables,
  type SessionsTables,
} from "./sessions-report.js";
import { median, type StartSample } from "./startup.js";
import { loadProblems, type LoadResult, type LoadSettings } from "./throughput.js";
import type { RealtimeReport } from "./realtime-bench.js";
import { renderRealtimeMarkdown } from "./realtime-markdown.js";
import { realtimeTables, renderRealtimeText, type RealtimeTables } from "./realtime-report.js";
import type { QaReport } from "./qa-bench.js";
import { renderQaMarkdown } from "./qa-markdown.js";
import { qaTables, renderQaText, type QaTables } from "./qa-report.js";
import type { SignalingReport } from "./signaling-bench.js";
import { renderSignalingMarkdown, renderSignalingText, signalingTables } from "./signaling-report.js";
import { mergeSection, separateRunNote } from "./sections.js";

export const TARGETS = { livenessRatio: 0.9, warmStartMs: 3_000 } as const;
/** Above this share of the machine's CPU taken by other processes, a load run's figures are flagged. */
export const BUSY_MACHINE = 0.1;

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  node: string;
  kernel: string;
  memoryGiB: number;
  loadAverage: string;
  commit: string;
}

export interface Report {
  date: Date;
  machine: MachineInfo;
  database: string;
  settings: LoadSettings;
  buildMs: number;
  /** One entry per round, in the order measured (bare, live, health within each round). */
  bare: LoadResult[];
  live: LoadResult[];
  health: LoadResult[];
  starts: StartSample[];
  /** Exit of the servers used for the load runs, after SIGTERM. */
  loadServerExits: Array<{ name: string; code: number | null; signal: NodeJS.Signals | null }>;
  /** Authentication overhead (auth-latency.ts); absent when that section did not run. */
  auth?: AuthReport;
  /** Real-time latency, heap per socket and waves (realtime-bench.ts); absent when that section did not run. */
  realtime?: RealtimeReport;
  /** Sessions list and join storm (sessions-bench.ts); absent when that section did not run. */
  sessions?: SessionsReport;
  /** Q&A list, vote burst and sustained votes (qa-bench.ts); absent when that section did not run. */
  qa?: QaReport;
  /** WebRTC signaling relay latency and routing (signaling-bench.ts); absent when that section did not run. */
  signaling?: SignalingReport;
}

export function machineInfo(root: string): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? "unknown";
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    if (line) cpuModel = line.split(":").slice(1).join(":").trim();
  } catch {
    // not Linux: keep os.cpus()'s model
  }
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  let commit = "unknown (not a git checkout)";
  try {
    commit =
      git("rev-parse", "--short", "HEAD") +
      (git("status", "--porcelain", "--", "src") ? " + uncommitted src/" : "");
  } catch {
    // keep "unknown"
  }
  return {
    cores: availableParallelism(),
    cpuModel,
    node: process.version,
    kernel: release(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: loadavg()
      .map((l) => l.toFixed(2))
      .join(" "),
    commit,
  };
}

const num = (n: number) => Math.round(n).toLocaleString("en-US");
const ratio = (n: number) => `${n.toFixed(2)}x`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const percent = (share: number | undefined) => (share === undefined ? "?" : `${Math.round(share * 100)} %`);
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

/** The round with the median req/s (the lower middle one for an even count). */
export function medianRound(rounds: LoadResult[]): LoadResult {
  const sorted = [...rounds].sort((a, b) => a.reqPerSec - b.reqPerSec);
  const pick = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!pick) throw new Error("no load rounds");
  return pick;
}

interface Tables {
  load: string[][];
  starts: string[][];
  checks: string[][];
  /** Liveness req/s ÷ bare req/s of each round. */
  roundRatios: number[];
  /** A check that makes the figures themselves doubtful failed (errors, non-2xx, unclean exit). */
  invalid: boolean;
  auth: AuthTables | undefined;
  sessions: SessionsTables | undefined;
}

function tables(report: Report): Tables {
  const { starts } = report;
  const [bare, live, health] = [report.bare, report.live, report.health].map(medianRound) as [
    LoadResult,
    LoadResult,
    LoadResult,
  ];
  const liveRatio = live.reqPerSec / bare.reqPerSec;
  const roundRatios = report.live.map((r, i) => r.reqPerSec / (report.bare[i]?.reqPerSec ?? Number.NaN));
  const loadRows: Array<[LoadResult, string]> = [
    [bare, "baseline"],
    [live, `≥ ${ratio(TARGETS.livenessRatio)}: ${verdict(liveRatio >= TARGETS.livenessRatio)}`],
    [health, "none (informational)"],
  ];
  const load = [
    ["route", "req/s", "p50", "p99", "max", "req/s vs bare", "target", "others' CPU"],
    ...loadRows.map(([row, target]) => [
      row.label,
      num(row.reqPerSec),
      `${row.latencyP50Ms} ms`,
      `${row.latencyP99Ms} ms`,
      `${row.latencyMaxMs} ms`,
      ratio(row.reqPerSec / bare.reqPerSec),
      target,
      percent(row.othersCpu),
    ]),
  ];

  const cold = starts.filter((s) => s.kind === "cold");
  const warm = starts.filter((s) => s.kind === "warm");
  const warmMedian = median(warm.map((s) => s.startMs));
  const startRow = (label: string, samples: StartSample[], target: string) => [
    label,
    String(samples.length),
    samples.map((s) => seconds(s.startMs)).join(", "),
    seconds(median(samples.map((s) => s.startMs))),
    seconds(median(samples.map((s) => s.shutdownMs))),
    samples.map((s) => (s.timedOut ? "timeout" : String(s.exitCode ?? s.exitSignal))).join(", "),
    target,
  ];
  const startTable = [
    ["start", "runs", "spawn → first 200", "median", "shutdown (median)", "exit codes", "target"],
    startRow("cold", cold, "none (informational)"),
    startRow("warm", warm, `< ${seconds(TARGETS.warmStartMs)}: ${verdict(warmMedian < TARGETS.warmStartMs)}`),
  ];

  const cleanExits =
    starts.every((s) => s.exitCode === 0 && !s.timedOut) && report.loadServerExits.every((e) => e.code === 0);
  const allRuns = [...report.bare, ...report.live, ...report.health];
  const busiest = Math.max(...allRuns.map((r) => r.othersCpu ?? 0));
  const problems = allRuns.map((r) => [r.label, loadProblems(r)]).filter(([, p]) => p !== undefined);
  const checks = [
    ["check", "result"],
    [
      `liveness ≥ ${ratio(TARGETS.livenessRatio)} bare Fastify`,
      `${ratio(liveRatio)}: ${verdict(liveRatio >= TARGETS.livenessRatio)}`,
    ],
    [
      `warm start < ${seconds(TARGETS.warmStartMs)} (median)`,
      `${seconds(warmMedian)}: ${verdict(warmMedian < TARGETS.warmStartMs)}`,
    ],
    ["every SIGTERM → exit code 0", verdict(cleanExits)],
    [
      `others' CPU < ${percent(BUSY_MACHINE)} during every load run`,
      busiest < BUSY_MACHINE
        ? `PASS (max ${percent(busiest)})`
        : `WARN (max ${percent(busiest)}: neighbours disturbed the load figures; rerun on a quieter machine)`,
    ],
    [
      "every load response 2xx, no errors",
      problems.length ? `FAIL (${problems.map(([l, p]) => `${l}: ${p}`).join("; ")})` : "PASS",
    ],
  ];
  const auth = report.auth ? authTables(report.auth, BUSY_MACHINE) : undefined;
  if (auth) checks.push(...auth.checks);
  const sessions = report.sessions ? sessionsTables(report.sessions, BUSY_MACHINE) : undefined;
  if (sessions) checks.push(...sessions.checks);
  return {
    load,
    starts: startTable,
    checks,
    roundRatios,
    invalid: !cleanExits || problems.length > 0 || Boolean(auth?.invalid) || Boolean(sessions?.invalid),
    auth,
    sessions,
  };
}

export function plainTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function markdownTable(rows: string[][]): string {
  const [head, ...body] = rows;
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head!), line(head!.map(() => "---")), ...body.map(line)].join("\n");
}

function loadHeading(report: Report, rounds: number): string {
  const s = report.settings;
  const how = `${s.connections} connections, ${s.durationS} s per run after ${s.warmupS} s warm-up, no pipelining`;
  return rounds > 1 ? `${how}; median of ${rounds} interleaved rounds` : how;
}

function roundsLine(t: Tables): string | undefined {
  if (t.roundRatios.length < 2) return undefined;
  return `Liveness ÷ bare, round by round: ${t.roundRatios.map(ratio).join(", ")}`;
}

/** Returns the stdout text, and whether the run's figures are doubtful (see Tables.invalid). */
export function renderText(report: Report): { text: string; invalid: boolean } {
  const t = tables(report);
  const rt = realtimeOf(report);
  const qa = qaOf(report);
  const sig = report.signaling ? signalingTables(report.signaling) : undefined;
  const text = [
    `\nHTTP throughput (${loadHeading(report, t.roundRatios.length)}; ${report.database})`,
    plainTable(t.load),
    roundsLine(t),
    `\nStart time of node dist/main.js`,
    plainTable(t.starts),
    report.auth && t.auth ? renderAuthText(report.auth, t.auth, plainTable) : undefined,
    report.sessions && t.sessions ? renderSessionsText(report.sessions, t.sessions, plainTable) : undefined,
    rt && report.realtime ? renderRealtimeText(report.realtime, rt, plainTable) : undefined,
    qa && report.qa ? renderQaText(report.qa, qa, plainTable) : undefined,
    sig && report.signaling ? renderSignalingText(report.signaling, sig, plainTable) : undefined,
    "",
    plainTable([
      ...(rt ? [...t.checks, ...rt.checks] : t.checks),
      ...(qa?.checks ?? []),
      ...(sig?.checks ?? []),
    ]),
  ]
    .filter((part) => part !== undefined)
    .join("\n");
  return {
    text,
    invalid: t.invalid || Boolean(rt?.invalid) || Boolean(qa?.invalid) || Boolean(sig?.invalid),
  };
}

export function renderMarkdown(report: Report): string {
  const t = tables(report);
  const rt = realtimeOf(report);
  const qa = qaOf(report);
  const sig = report.signaling ? signalingTables(report.signaling) : undefined;
  const { machine: m, settings: s } = report;
  const rounds = t.roundRatios.length;
  return `# Podium benchmarks

Written by \`npm run bench\` (bench/run.ts) on ${report.date.toISOString()}. Every figure below comes from
this one run; compare Podium with the bare baseline measured beside it, not with other runs (absolute
figures move 10–50 % between runs on shared machines, see /work/shared/BASELINES.md).

## Machine

- ${m.cores} cores (nproc), ${m.cpuModel}, ${m.memoryGiB} GiB RAM, Linux ${m.kernel}
- Node.js ${m.node}; load average at start: ${m.loadAverage}
- Podium commit ${m.commit}, built with \`npm run build\` in ${seconds(report.buildMs)}
- Database: ${report.database}

## HTTP throughput

${loadHeading(report, rounds)}.

${markdownTable(t.load)}
${rounds > 1 ? `\n${roundsLine(t)}\n` : ""}
## Start and shutdown of \`node dist/main.js\`

${markdownTable(t.starts)}
${report.auth && t.auth ? `\n${renderAuthMarkdown(report.auth, t.auth, markdownTable)}` : ""}${
    report.sessions && t.sessions
      ? `\n${renderSessionsMarkdown(report.sessions, t.sessions, markdownTable)}`
      : ""
  }
${rt && report.realtime ? `\n${renderRealtimeMarkdown(report.realtime, rt, markdownTable)}` : ""}${
    qa && report.qa ? `\n${renderQaMarkdown(report.qa, qa, markdownTable)}` : ""
  }${sig && report.signaling ? `\n${renderSignalingMarkdown(report.signaling, sig, markdownTable)}` : ""}
## Targets and checks

${markdownTable([
  ...(rt ? [...t.checks, ...rt.checks] : t.checks),
  ...(qa?.checks ?? []),
  ...(sig?.checks ?? []),
])}

## Method

- Load generator: autocannon, ${s.connections} connections, ${s.durationS} s per measured run (\`BENCH_DURATION_S\`),
  no pipelining (1 request in flight per connection), programmatic API in the benchmark process. Every
  server runs in its own child process (own process group), so generator and servers are separate
  processes; on ${m.cores} cores they still share the CPU, which is why only same-run ratios mean anything.
- Each run is preceded by a ${s.warmupS} s warm-up with the same settings (discarded). Order within a round:
  bare Fastify \`GET /\`, Podium \`GET /api/health/live\`, Podium \`GET /api/health\`; ${
    rounds > 1
      ? `${rounds} rounds (\`BENCH_ROUNDS\`), each route's row is its median-req/s round.`
      : `1 round (\`BENCH_ROUNDS=3\` interleaves 3 and reports medians).`
  }
- req/s is autocannon's mean of per-second samples; p50/p99/max latency are autocannon's, in whole
  milliseconds (its histogram has 1 ms resolution). "req/s vs bare" = Podium req/s ÷ bare Fastify req/s.
- "others' CPU": the share of the machine's CPU (all cores, from /proc/stat) used during the measured run
  by processes other than the benchmark and its servers (including their PostgreSQL). These machines are
  shared; above ${percent(BUSY_MACHINE)} the neighbours competed with the run and the ratio is unreliable.
  With DATABASE_URL the database server is not ours, so its CPU counts as "others'" on \`/api/health\`.
- Bare Fastify: \`bench/bare-fastify.ts\` (Fastify 5, \`logger: false\`, no schema, \`GET /\` →
  \`{"hello":"world"}\`), run with \`node --import tsx\` (tsx only transforms the file at load time).
- Podium: the compiled server, \`node dist/main.js\`, with \`NODE_ENV=production\` and **\`LOG_LEVEL=warn\`**,
  so the per-request "request completed" info line is not written (logging would otherwise dominate
  these tiny routes). Everything else is as in production: request ids, hooks, Zod response serialisation,
  a pino child logger per request. \`/api/health/live\` touches nothing else; \`/api/health\` runs
  \`select 1\` on the \`pg\` pool (10 connections by default) and returns the dependency report.
- Start time: spawn of \`node dist/main.js\` → the first 200 from \`/api/health\` (polled every 10 ms on
  fresh connections): database up, migrated, HTTP listening. Cold = a new, empty data directory (initdb,
  create database, all migrations); warm = the same directory again (cluster start, migrations already
  applied), median of the warm runs. With DATABASE_URL, "cold" is simply the first start of the run (no
  initdb). After each start: SIGTERM to the server process alone; shutdown time = SIGTERM → process exit
  (drain, pool closed, embedded PostgreSQL stopped); the exit code must be 0.
- Embedded PostgreSQL: \`synchronous_commit\` at its default (on); a free port per start; the temporary
  data directory is removed at the end.
`;
}

/** A run of the sessions section alone (BENCH_ONLY=sessions): its text, and whether its figures are doubtful. */
export function renderSessionsOnlyText(report: SessionsReport): { text: string; invalid: boolean } {
  const t = sessionsTables(report, BUSY_MACHINE);
  return {
    text: [renderSessionsText(report, t, plainTable), "", plainTable(t.checks)].join("\n"),
    invalid: t.invalid,
  };
}

const SESSIONS_HEADING = "## Sessions and attendees";

/**
 * RESULTS.md with its "Sessions and attendees" section replaced by this run's (inserted before "Targets and
 * checks" when the file has none); every other section is kept as it was, from the run named at its top.
 */
export function mergeSessionsMarkdown(
  existing: string | undefined,
  report: SessionsReport,
  run: { date: Date; machine: MachineInfo; database: string; buildMs: number },
): string {
  const t = sessionsTables(report, BUSY_MACHINE);
  const section = renderSessionsMarkdown(report, t, markdownTable, separateRunNote("sessions", run));
  return mergeSection(existing, SESSIONS_HEADING, section);
}

/** The Q&A section's tables, when it ran (its checks join the "Targets and checks" table). */
function qaOf(report: Report): QaTables | undefined {
  return report.qa ? qaTables(report.qa, BUSY_MACHINE) : undefined;
}

/** The real-time section's tables, when it ran (its checks join the "Targets and checks" table). */
function realtimeOf(report: Report): RealtimeTables | undefined {
  return report.realtime ? realtimeTables(report.realtime, BUSY_MACHINE) : undefined;
}

/** A run of the real-time section alone (BENCH_ONLY=realtime): its text, and whether its figures are doubtful. */
export function renderRealtimeOnlyText(report: RealtimeReport): { text: string; invalid: boolean } {
  const t = realtimeTables(report, BUSY_MACHINE);
  const text = [
    renderRealtimeText(report, t, plainTable),
    "",
    plainTable([["check", "result"], ...t.checks]),
  ];
  return { text: text.join("\n"), invalid: t.invalid };
}

const REALTIME_HEADING = "## Real-time";

/**
 * RESULTS.md with its "Real-time" section replaced by this run's (inserted before "Targets and checks" when the
 * file has none); every other section is kept as it was, from the run named at its top.
 */
export function mergeRealtimeMarkdown(
  existing: string | undefined,
  report: RealtimeReport,
  run: { date: Date; machine: MachineInfo; database: string; buildMs: number },
): string {
  const t = realtimeTables(report, BUSY_MACHINE);
  const section = renderRealtimeMarkdown(report, t, markdownTable, separateRunNote("realtime", run));
  return mergeSection(existing, REALTIME_HEADING, section);
}
