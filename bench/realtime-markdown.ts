/**
 * The "Real-time" section of bench/RESULTS.md (see realtime-bench.ts): the tables of realtime-report.ts and how
 * every figure was obtained.
 */
import type { RealtimeReport } from "./realtime-bench.js";
import { heading, kib, num, REALTIME_TARGETS, type RealtimeTables } from "./realtime-report.js";

function discardedNote(report: RealtimeReport): string {
  const n = report.modes.reduce((sum, m) => sum + m.discardedRounds, 0);
  return n ? `; this run discarded ${n}` : "; none was in this run";
}

export function renderRealtimeMarkdown(
  report: RealtimeReport,
  t: RealtimeTables,
  markdownTable: (rows: string[][]) => string,
  /** For a run of this section alone: where the figures come from, and its own checks. */
  standalone?: string,
): string {
  const s = report.settings;
  const env = Object.entries(report.serverEnv)
    .map(([k, v]) => `\`${k}=${v}\``)
    .join(", ");
  return `## Real-time
${standalone ? `\n${standalone}\n` : ""}
Issue 5, point 11: **REST change → receipt on every socket**, for two REST changes, each against the same raw
Socket.io broadcast measured in the same rounds: \`PATCH /api/sessions/:id\` (the host sets a new title; every socket
of the session receives \`session:updated\` after the commit) and question creation, the issue's own trigger
(\`POST /api/sessions/:id/questions\` by an attendee; every socket receives \`question:created\` after the commit).
${heading(report)}.

${markdownTable(t.latency)}

Round by round ("clients' CPU": the clients' process CPU time ÷ the burst's wall time; "pacing": actual ÷ intended
interval between the first and the last send; a round during which other processes took ≥ 10 % of the machine's
CPU is discarded and repeated after 20 s, up to 4 attempts${discardedNote(report)}):

${markdownTable(t.rounds)}
${t.instances.length > 1 ? `\nBy instance (2 instances + Redis):\n\n${markdownTable(t.instances)}\n` : ""}
Where Podium's extra time goes (medians; "first receipt": send → the first socket's receipt, i.e. the request's
handling up to the emit; "fan-out": first → last socket's receipt of the same change, i.e. Socket.io's delivery).
"raw + INSERT" is a reference, not a target: the raw server committing each change to the same PostgreSQL (one
prepared autocommit INSERT of the body, \`synchronous_commit\` on) before its emit, as write-then-publish requires;
its row shows what a durable write alone adds to raw Socket.io, and the last column Podium against it:

${markdownTable(t.split)}

### Heap per idle socket

${markdownTable(t.heap)}

### Waves of ${num(s.waveSockets)} connects and disconnects

Heap after forced GC in the server process, after an uncounted warm-up wave (0) and after each counted wave: its
objects (\`heapUsed\` without V8's code), which the verdict reads, and the code beside them (compiled code with its
metadata, and bytecode: \`v8.getHeapCodeStatistics()\`), which grows while the JIT optimizes, deoptimizes and optimizes
again the server's functions, and is not memory a connection left behind:

${markdownTable(t.waves)}

How:

- Servers, each in its own process, each started with \`node --expose-gc --import bench/realtime-heap-probe.mjs\`
  (on SIGUSR2 the preloaded probe runs four full GCs and prints \`process.memoryUsage()\`; Podium's source has no
  bench route). Podium: \`node dist/main.js\` with ${env}, no OAuth provider (so the development sign-in exists),
  \`LOG_LEVEL=warn\`, a random \`AUTH_SECRET\`, the run's PostgreSQL (\`synchronous_commit\` at its default, on),
  pool of 10. The limits are raised because one address (127.0.0.1) makes every join, connection and PATCH;
  the presence grace period is 24 h so the sweeper changes nothing while measuring (sockets refresh presence
  themselves, one statement every 20 s per instance). Raw baseline: \`bench/realtime-raw.ts\` (\`node --import tsx\`),
  Socket.io 4.8 on \`node:http\`, no middleware, no database: a socket joins the room named by its
  \`auth.sessionId\` and gets a small \`session:snapshot\`; \`POST /broadcast/:id\` parses the JSON body and calls
  \`io.to(room).emit("session:updated", body)\`, then answers 204. The body is the session object Podium sends
  (same fields, same size), with the new title. With \`&durable=1\` (the "raw + INSERT" reference) it first inserts
  the body into \`bench_raw_writes\` on Podium's PostgreSQL over one \`pg\` connection and emits once that commits;
  it shares the raw sockets and takes its rounds in turn with the other three.
- Clients: \`bench/realtime-client.ts\`, one process, started through \`sh -c 'ulimit -n …'\` (open-files limit
  ${num(report.clientOpenFiles)}) with \`--expose-gc\`: it runs a full GC before each burst, so that its own
  mark-compacts (22–45 ms measured) fall between bursts rather than into one; socket.io-client 4.8 with \`forceNew: true\`, \`transports: ["websocket"]\`, no
  reconnection; Podium sockets with \`auth: {sessionId, token}\` (attendee tokens from \`POST /api/attendee/join/:id\`;
  the session's capacity is raised with \`PATCH\`), 50 connecting at a time, each counted once its
  \`session:snapshot\` arrived. Both servers keep their ${num(s.attendees)} sockets during the whole latency part.
- Triggers: sent **from the clients' process** on a keep-alive agent, open loop at ${s.hz} Hz, one function per kind
  (\`triggerOf\` in realtime-triggers.ts): \`PATCH /api/sessions/:id {title}\` with the host's bearer token;
  \`POST /api/sessions/:id/questions {text}\` with the attendee tokens in turn (each attendee asks at most once per
  ${num(s.attendees)} questions, far from \`QA_QUESTIONS_PER_MINUTE\`, left at its default), texts made distinct (the
  change's mark and six words chosen by a hash of the burst and the number) so the duplicate check lets them through;
  the session's default settings (no pre-moderation, so every question is visible and goes to everyone; the duplicate
  check reads up to the 500 latest texts, and the board grows by ${s.warmupMessages + s.messages} questions or more per setup); raw: \`POST /broadcast/:id\` with
  the session object and a new title. Send time: \`performance.now()\` just before the request is written; receipt:
  \`performance.now()\` in the socket's listener; the change is identified by the mark at the start of its title or
  text. Both are on the same process's monotonic clock, so no cross-process clock is involved. Percentiles over every receipt of the measured rounds; a socket that
  did not receive a change within 3 s of the last send counts as missing. "trigger answered": send → HTTP answer
  (Podium's PATCH includes its transaction: lock, update, event row, commit; its question creation the checks, the
  duplicate search, the insert and event row, and the asker's name read after the commit). "first receipt": send → the first socket's
  receipt; "fan-out": first → last socket's receipt of the same change. "server CPU per change": CPU time of the
  server processes and their children during a burst (from /proc; Podium's embedded PostgreSQL included, and in the
  Redis mode both instances and the Redis) ÷ changes sent; median over the rounds. Before each round the database
  is vacuumed (\`VACUUM (ANALYZE)\`): what autovacuum does in any deployment, and what a PostgreSQL run with
  \`autovacuum = off\` (these machines' CI configuration) would otherwise never do.
- 2 instances: Podium A (owning the embedded PostgreSQL) and B (\`DATABASE_URL\` to it, same \`PUBLIC_URL\` so A's
  attendee tokens are valid on B), both with \`REDIS_URL\` pointing at a **private \`redis-server\`** started for this
  section on a free port (pub/sub channels are global to a Redis server, whatever the database number, so a shared
  Redis would mix this run's broadcasts with other Podiums'); the adapter is Podium's (\`podium:io\`). Raw A and B use
  \`@socket.io/redis-adapter\` 8.3 on ioredis with their own key (\`bench-raw:io\`). Sockets alternate A, B; the trigger
  goes to A.
- Heap per idle socket: 50 sockets connected and closed first (code paths warm); then heapUsed after forced GC with no socket, then ${num(s.attendees)} sockets connected
  and idle for 2 s, heapUsed after forced GC again; the difference ÷ ${num(s.attendees)}. Podium's attendee socket also
  holds its handshake data (actor, session, peer id), its rooms (session, attendees, own attendee room) and the
  presence count entry. RSS and \`external\` (socket buffers live outside the JS heap) are given for information.
- Waves: after the latency sockets are closed, each wave: Podium: ${num(s.waveSockets)} new attendees join over HTTP,
  connect, get their snapshot (with the board of questions the latency part left) and close; the server's socket
  gauge (\`/api/metrics\`) must read 0, then 2 s to settle, then forced GC, \`heapUsed\` and V8's code statistics. Raw: the same without the
  join (\`/stats\` must read 0). Wave 0 is a warm-up (the first connects with a board to snapshot compile code and
  fill pools) and is not counted. Verdict on the least-squares growth of the heap's objects (\`heapUsed\` minus code: heap snapshots after waves 1
  and 10 of a run on 623fa7e differed by 663 KiB, 525 KiB of it code (1,674 more code objects, most of them
  optimized code with its deoptimization data), 145 KiB V8's weak lists of the code that depends on an object, and
  no more than 1 KiB of anything else) from wave 1 to the last, threshold ${kib(REALTIME_TARGETS.waveGrowthBytes)} (about ${(REALTIME_TARGETS.waveGrowthBytes / ((s.waves - 1) * s.waveSockets)).toFixed(0)} bytes per connect–disconnect); raw Socket.io's
  series under the same rule checks the method.${report.cpuProfileDir ? `\n- CPU profiles of the servers: \`${report.cpuProfileDir}\` (\`BENCH_RT_CPU_PROF\`).` : ""}${report.traceDir ? `\n- **Diagnostic run**: the servers carried bench/realtime-trace-probe.mjs (\`BENCH_RT_TRACE_DIR\`), whose wrappers cost a few microseconds each; its figures are not the benchmark's.` : ""}
${standalone ? `\nChecks of this run:\n\n${markdownTable([["check", "result"], ...t.checks])}\n` : ""}`;
}
