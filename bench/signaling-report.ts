/**
 * The "WebRTC signaling" section (signaling-bench.ts): tables for stdout and bench/RESULTS.md, its checks, and
 * the merge of this section alone into an existing RESULTS.md (BENCH_ONLY=signaling).
 */
import { percentile, type SignalingReport, type SignalingRun } from "./signaling-bench.js";
import type { ClientResult } from "./signaling-client.js";

export const SIGNALING_TARGETS = { relayP99Ms: 10, busyMachine: 0.1 } as const;
export const SIGNALING_HEADING = "## WebRTC signaling";

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)} ms` : "–");
const pct = (v: number | undefined) => (v === undefined ? "unknown" : `${Math.round(v * 100)} %`);
const refusedOf = (l: { refused: Record<string, number> }) =>
  Object.entries(l.refused)
    .map(([code, n]) => `${n} ${code}`)
    .join(", ") || "0";

export interface SignalingTables {
  latency: string[][];
  rounds: string[][];
  realPeers: string[][];
  checks: string[][];
  invalid: boolean;
}

function pooled(runs: SignalingRun[], phase: "goLive" | "steady") {
  const all = runs.flatMap((r) => r.result[phase].ms);
  const sent = runs.reduce((s, r) => s + r.result[phase].sent, 0);
  const received = runs.reduce((s, r) => s + r.result[phase].received, 0);
  const refused: Record<string, number> = {};
  for (const r of runs)
    for (const [code, n] of Object.entries(r.result[phase].refused)) refused[code] = (refused[code] ?? 0) + n;
  return { all, sent, received, refused };
}

export function signalingTables(report: SignalingReport): SignalingTables {
  const servers = [
    ["Podium", report.rounds.map((r) => r.podium)],
    ["raw Socket.io relay", report.rounds.map((r) => r.raw)],
  ] as const;
  const latency: string[][] = [["server", "phase", "delivered / sent", "p50", "p99", "max", "refused"]];
  for (const [name, runs] of servers) {
    for (const phase of ["goLive", "steady"] as const) {
      const p = pooled([...runs], phase);
      latency.push([
        name,
        phase === "goLive" ? "go-live burst" : `paced ${report.settings.steadyRate}/s`,
        `${p.received} / ${p.sent}`,
        ms(percentile(p.all, 0.5)),
        ms(percentile(p.all, 0.99)),
        ms(p.all.length ? Math.max(...p.all) : Number.NaN),
        refusedOf(p),
      ]);
    }
  }
  const rounds: string[][] = [
    [
      "round",
      "server",
      "go-live p99 (wall)",
      "paced p50",
      "paced p99",
      "misrouted",
      "clients' CPU",
      "others' CPU",
    ],
  ];
  report.rounds.forEach((round, i) => {
    for (const [name, run] of [
      ["Podium", round.podium],
      ["raw", round.raw],
    ] as const) {
      const r = run.result;
      rounds.push([
        String(i + 1),
        name,
        `${ms(percentile(r.goLive.ms, 0.99))} (${ms(r.goLive.wallMs)})`,
        ms(percentile(r.steady.ms, 0.5)),
        ms(percentile(r.steady.ms, 0.99)),
        String(r.misrouted),
        `${Math.round(r.cpuMs)} ms`,
        pct(run.othersCpu),
      ]);
    }
  });
  const realPeers: string[][] = [["server", "connected / attempted", "offer → connected p50", "p95", "max"]];
  for (const [name, runs] of servers) {
    const results = runs.map((r) => r.result.realPeers);
    const all = results.flatMap((r) => r.connectMs);
    const error = results.find((r) => r.error)?.error;
    realPeers.push([
      name,
      `${results.reduce((s, r) => s + r.connected, 0)} / ${results.reduce((s, r) => s + r.attempted, 0)}${error ? ` (${error})` : ""}`,
      ms(percentile(all, 0.5)),
      ms(percentile(all, 0.95)),
      ms(all.length ? Math.max(...all) : Number.NaN),
    ]);
  }

  const podiumRuns = report.rounds.map((r) => r.podium);
  const everyRun = report.rounds.flatMap((r) => [r.podium, r.raw]);
  const steady = pooled(podiumRuns, "steady");
  const p99 = percentile(steady.all, 0.99);
  const misrouted = everyRun.reduce((s, r) => s + r.result.misrouted, 0);
  const lost = (r: ClientResult) => r.goLive.sent - r.goLive.received + (r.steady.sent - r.steady.received);
  const undelivered = everyRun.reduce((s, r) => s + lost(r.result), 0);
  const busy = everyRun.filter((r) => (r.othersCpu ?? 0) >= SIGNALING_TARGETS.busyMachine).length;
  const peers = podiumRuns.map((r) => r.result.realPeers);
  const badExits = report.serverExits.filter((e) => e.code !== 0);
  const checks: string[][] = [
    [
      `signaling: Podium relay p99, paced (target ≤ ${SIGNALING_TARGETS.relayP99Ms} ms)`,
      `${ms(p99)}: ${p99 <= SIGNALING_TARGETS.relayP99Ms ? "PASS" : "FAIL"}`,
    ],
    [
      "signaling: misrouted messages, every run (target 0)",
      `${misrouted}: ${misrouted === 0 ? "PASS" : "FAIL"}`,
    ],
    [
      "signaling: messages sent but not delivered (refused or lost)",
      `${undelivered}: ${undelivered === 0 ? "PASS" : "FAIL"}`,
    ],
    [
      "signaling: real @roamhq/wrtc peers connected through Podium",
      peers.some((p) => p.error)
        ? `not measured (${peers.find((p) => p.error)?.error})`
        : `${peers.reduce((s, p) => s + p.connected, 0)} / ${peers.reduce((s, p) => s + p.attempted, 0)}`,
    ],
    [
      `signaling: runs during which other processes took ≥ ${SIGNALING_TARGETS.busyMachine * 100} % CPU`,
      busy === 0 ? "0" : `${busy} (their figures are doubtful)`,
    ],
    [
      "signaling: servers exit 0 on SIGTERM",
      badExits.length === 0 ? "yes" : badExits.map((e) => `${e.name}: ${e.code ?? e.signal}`).join(", "),
    ],
  ];
  const invalid = misrouted > 0 || undelivered > 0 || badExits.length > 0;
  return { latency, rounds, realPeers, checks, invalid };
}

export function renderSignalingText(
  report: SignalingReport,
  t: SignalingTables,
  plainTable: (rows: string[][]) => string,
): string {
  return [
    `WebRTC signaling: 1 presenter + ${report.settings.attendees} attendees (+ ${report.settings.bystanders} bystanders in another session), ${report.rounds.length} rounds`,
    plainTable(t.latency),
    "",
    plainTable(t.rounds),
    "",
    "Real peers (@roamhq/wrtc, data channel over loopback):",
    plainTable(t.realPeers),
  ].join("\n");
}

export function renderSignalingMarkdown(
  report: SignalingReport,
  t: SignalingTables,
  markdownTable: (rows: string[][]) => string,
  standalone?: string,
): string {
  const s = report.settings;
  return `${SIGNALING_HEADING}
${standalone ? `\n${standalone}\n` : ""}
Issue 7, point 9: **relay latency and routing** of WebRTC signaling with one presenter and ${s.attendees} scripted
attendee clients of one session, plus a bystander session (its presenter and ${s.bystanders} attendees, who must
receive nothing), against a raw Socket.io relay measured in the same ${report.rounds.length} rounds (order alternating).
Latency is send → receipt by the addressee, both ends in one client process (one clock). Pooled over the rounds:

${markdownTable(t.latency)}

Round by round ("clients' CPU": the client process's CPU time for the whole run; "others' CPU": the share of the
machine other processes took meanwhile):

${markdownTable(t.rounds)}

Real peers: ${s.wrtcPeers} attendees and the presenter as \`@roamhq/wrtc\` peer connections (a data channel over
loopback) signalled through the server with their real SDP and trickled candidates; offer sent → presenter side
\`connected\`:

${markdownTable(t.realPeers)}

Checks of this section:

${markdownTable([["check", "result"], ...t.checks])}

How:

- Podium: \`node dist/main.js\` (\`NODE_ENV=development\` for the development sign-in, rate limits on HTTP and socket
  connections lifted, \`PRESENCE_GRACE_MS\` of a day) with its **default signaling budgets**
  (\`SIGNALING_PRESENTER_EVENTS_PER_SECOND=500\`, burst 5,000; attendees 20/s, burst 200). The host signs in, creates
  both sessions and starts them; attendees join over HTTP. Each round, a fresh client process (bench/signaling-client.ts)
  connects every socket, sends \`media:ready\` from each (the presenter is given ${s.attendees} peers), then:
  **go-live**: the presenter sends ${s.attendees} offers (3 KiB SDP) at once; each attendee answers and trickles 3
  candidates and the end of candidates; the presenter trickles 3 candidates per answer (${8 * s.attendees} measured
  messages); **paced**: ${s.steadyRate} candidates per second for ${s.steadySeconds} s, alternately presenter → attendee
  and attendee → presenter, round robin (open loop).
- The raw relay (bench/signaling-raw.ts): plain Socket.io 4.8, a socket joins the room of the peer id it claims in its
  session, \`signal:*\` go to the room of \`to\` with \`from\` set, acknowledged; no authentication, validation,
  edge rule, rate limit or database. Same client code, same messages.
- Misrouted: every message carries its addressee inside it (the SDP's \`s=\` line, the candidate's foundation); a
  message received by any other socket, or from another sender than expected, counts, and so does anything a bystander
  receives.
`;
}
