/**
 * The "Q&A" section of bench/RESULTS.md (see qa-bench.ts): the tables of qa-report.ts, and how each figure was made.
 */
import type { QaReport } from "./qa-bench.js";
import { QA_TARGETS, type QaTables } from "./qa-report.js";

const num = (n: number) => Math.round(n).toLocaleString("en-US");
const ratio = (n: number) => `${n.toFixed(2)}x`;

/** The "Q&A" section of RESULTS.md; `standalone`: for a run of this section alone, where it comes from (its checks follow). */
export function renderQaMarkdown(
  report: QaReport,
  t: QaTables,
  markdownTable: (rows: string[][]) => string,
  standalone?: string,
): string {
  const s = report.settings;
  const b = report.board;
  const plan = s.sustained;
  const env = Object.entries(report.serverEnv)
    .map(([k, v]) => `\`${k}=${v}\``)
    .join(", ");
  const pg = report.postgres;
  const states = Object.entries(b.byState)
    .map(([state, n]) => `${num(n)} ${state}`)
    .join(", ");
  return `## Q&A
${standalone ? `\n${standalone}\n` : ""}
Issue 6, point 9. PostgreSQL ${pg.version}, \`synchronous_commit=${pg.synchronousCommit}\`, \`shared_buffers=${pg.sharedBuffers}\`,
the same database for Podium and every baseline. Data: one live session (downvotes allowed) with ${num(b.questions)} seeded
questions (${states}; ${b.pinned} pinned, ${b.anonymous} anonymous), ${num(b.votes)} votes, ${num(b.seedAttendees)} attendees
inserted with SQL and ${num(report.joined)} joined over HTTP (${(report.joinMs / 1000).toFixed(1)} s); the viewer's open list
holds ${num(b.openForViewer)} questions (SQL ${(b.insertMs / 1000).toFixed(1)} s).

### \`GET /api/sessions/:id/questions?sort=…&status=open&limit=${s.limit}\`

${s.connections} connections, ${s.durationS} s per run after ${s.warmupS} s warm-up, no pipelining; median-p99 round of
${s.listRounds} interleaved rounds (autocannon, 1 ms resolution).

${markdownTable(t.list)}

The same pages at a steady ${s.pacedRate} requests/s for ${s.durationS} s, open loop (bench/qa-client.ts in its own process: one request
every ${(1000 / s.pacedRate).toFixed(0)} ms on an idle keep-alive connection, ${s.pacedConnections} opened first; latency from each request's due time, µs
resolution), right after the closed run of the same server and sort: what an attendee waits when the server is not
saturated. Median-p99 round:

${markdownTable(t.paced)}

Round by round (closed runs):

${t.listRounds.map((line) => `- ${line}`).join("\n")}

What the database does for one request (EXPLAIN (ANALYZE, BUFFERS), second of two runs):

${markdownTable(t.explain)}

<details><summary>Plans</summary>

${report.explain.map((e) => `${e.label}:\n\n\`\`\`\n${e.plan}\n\`\`\``).join("\n\n")}

</details>

### Vote burst: ${num(s.burstVotes)} distinct attendees vote +1 on one question at once

${s.burstRounds} rounds per system, a fresh question each, alternating which goes first; medians over the rounds (max: the
largest).

${markdownTable(t.burst)}

Every round:

${markdownTable(t.burstRounds)}

### Sustained: ${plan.rate} votes/s for ${plan.durationS} s, open loop

${num(plan.voters)} attendees × ${plan.questions} questions (fresh ones per system); latency from each vote's scheduled time.

${markdownTable(t.sustained)}

p99 of the votes due in each second of the schedule:

${t.sustainedSeconds.map((line) => `- ${line}`).join("\n")}

Tallies after the run:

${markdownTable(t.sustainedTallies)}

How:

- Podium: \`node dist/main.js\` with ${env}, \`LOG_LEVEL=warn\`, a random \`AUTH_SECRET\`, no OAuth provider (the
  development sign-in makes the host), no \`REDIS_URL\` (one instance: rate limits in memory), pool of ${s.poolMax}. The
  limits are raised so that none can refuse a measured request: one address (127.0.0.1) sends everything, so
  \`RATE_LIMIT_IP_MAX\` (3,000 a minute by default) counts every request of the run; \`RATE_LIMIT_ACTOR_MAX\` (300) counts
  the viewer's thousands of list requests a minute; \`QA_VOTES_PER_MINUTE\` (120) and \`QA_QUESTIONS_PER_MINUTE\` (5) are
  the per-attendee Q&A limits (no voter comes near 120 here: the sustained run gives each about
  ${Math.round((plan.rate * 60) / plan.voters)} votes a minute; no question is asked over HTTP). The limiters still run on every request (memory
  store); only their thresholds are out of reach. The presence grace period is 24 h
  so the sweeper changes nothing while measuring. Tallies are recounted every \`REALTIME_COALESCE_MS\` (default 250 ms).
- Data (bench/qa-seed.ts): over HTTP the host signs in, creates the session (\`settings.qa.allowDownvotes\`) and starts
  it; ${num(report.joined)} attendees join (\`POST /api/attendee/join/:sessionId\`, 16 at a time), which gives their tokens.
  Then SQL in one transaction: ${num(b.seedAttendees)} attendees (the seat trigger counts them: the session is live, capacity
  ${num(b.seedAttendees + plan.voters + 100)}), ${num(b.questions)} questions asked 9 s apart over 90 minutes (one in twenty pending, one in
  33 dismissed, one in 97 withdrawn, one in seven answered, one in nine anonymous, three pinned), 0–150 votes each
  (skewed, about one in seven −1) from attendees other than the author, tallies and \`score\` written as the recount
  writes them (Wilson lower bound), the viewer's votes on every twelfth question and one pending question of its
  own, and the empty questions the vote measurements use; then \`ANALYZE\`.
- List: autocannon in the benchmark process (closed loop), ${s.connections} connections, the viewer's bearer token (an attendee token:
  synchronous HMAC check, no database). Before measuring, each sort's page is fetched from both servers: the same
  ${s.limit} questions in the same order with the same tallies, \`mine\` and \`myVote\`; during the runs every response must
  be 200 with a next cursor, and for \`top\` and \`new\` equal to the checked page up to \`nextCursor\` (which carries the
  listing's time). \`trending\` decays with the time of the request, so close questions may swap places: the number of
  responses equal to the checked page is given for information.
- List baseline: \`bench/bare-qa.ts\`, bare Fastify 5 (no logger, hooks or schemas) in its own process, a \`pg\` Pool of
  Podium's size and timeouts; the viewer comes from an \`x-bench-attendee\` header (no credential check, no rate
  limit). One statement per request: **byte for byte the one Podium's \`listQuestions\` sends** (same text and
  parameters, rows as arrays, checked against drizzle's \`toSQL()\`), rows mapped to the same item shape and cursor
  with \`JSON.stringify\`. Podium additionally authenticates, rate-limits, validates the query (Zod), reads the
  session's relations for the access check (a second round trip) and serialises with the response schema.
- Vote burst: \`bench/qa-client.ts\` in its own process opens ${num(s.burstVotes)} keep-alive connections, primes each with
  \`GET /api/health/live\`, then writes ${num(s.burstVotes)} \`POST /api/questions/:id/vote {"value":1}\` (one per attendee, its token,
  prebuilt buffers) in one synchronous loop ("fire span") and waits for every answer. Latency: write → last byte
  of the answer (acknowledged = 200 \`{questionId, myVote: 1}\`); wall: first write → last answer. Podium reads the
  question with its session (one round trip), checks the voter, and runs the upsert (a second); the recount then
  sets the tallies: "recount after" is the time from the client's exit until \`questions.upvotes\` equals the rows
  (polled every 25 ms). Exact = ${num(s.burstVotes)} acknowledged, ${num(s.burstVotes)} rows of +1, \`upvotes\` ${num(s.burstVotes)}, \`downvotes\` 0.
- Burst baseline (BASELINES.md's method): the same client process with a \`pg\` Pool of ${s.poolMax} (its connections opened
  first) calls the same ${num(s.burstVotes)} statements at once, \`INSERT … ON CONFLICT DO UPDATE\` exactly as Podium's \`castVote\`
  writes it, on the same table (another fresh question, the same voters). Latency: call → result (includes the wait
  for a pool connection, as an HTTP answer includes the server's queue); "statement": connection acquired → result.
- Sustained: the same client, open loop: vote i is due at start + i / ${plan.rate} s whatever the answers (a timer catches up
  on due sends), on the next idle keep-alive connection (${s.sustainedConnections} opened and primed first; a new one is opened when all
  are busy); latency = due time → answer, so a late send counts. First, ${s.sustainedWarmupS} s of the same schedule on a question of its
  own, on the same connections (pool), not measured: without it Podium's first second pays for reopening its pool's
  connections, closed after 30 s idle while the baseline ran. The schedule (qa-votes.ts) visits the
  ${num(plan.voters * plan.questions)} (attendee, question) pairs in a strided order, one pass every ${((plan.voters * plan.questions) / plan.rate).toFixed(0)} s: the first pass +1 (one
  pair in seven −1), later passes 0 (retract: a delete) 40 %, +1 45 %, −1 15 %, so rows are inserted, changed,
  deleted or left as they are. The sends of one pair never overlap (counted), so the last acknowledged vote of each
  pair is what the table must hold: "lost" counts pairs whose last acknowledged ±1 is missing or different,
  "unexplained rows" rows that no acknowledged vote explains. After the recount, \`questions.upvotes/downvotes\` must
  equal the rows' count and the count implied by the acknowledged votes.
- Sustained baseline: the same schedule, the same statements (\`castVote\`'s upsert, or its delete for 0) straight
  through a \`pg\` Pool of ${s.poolMax} in the same client process (the same warm-up first), on other fresh questions; latency due
  time → result.
- "Podium CPU": the Node.js process's own CPU time (user + system, all its threads) during the run, from /proc;
  "PostgreSQL CPU": that of the processes under it (the embedded cluster: postmaster and every backend, the
  baseline's included; "?" with \`DATABASE_URL\`). "CPU per vote" divides both by the votes of the run. During a
  baseline run Podium is idle, and PostgreSQL's CPU is the upserts alone; during Podium's it includes the
  question read and the recount. "others' CPU" as elsewhere in this file.
- Order: the list (all rounds), then the bursts, then the sustained runs (each after its warm-up).
- Targets (issue 6, point 9, and BASELINES.md's last column): list p99 < ${QA_TARGETS.listP99Ms} ms at ${s.connections} connections, and where
  the bare baseline misses that too on the day, req/s ≥ ${ratio(QA_TARGETS.listReadRatio)} the baseline's (authenticated reads); burst:
  exact tallies every round and wall ≤ ${ratio(QA_TARGETS.burstWallRatio)} the \`pg\` baseline's; sustained: zero lost, tallies equal to a
  \`SELECT\`, acknowledgement p99 ≤ ${QA_TARGETS.sustainedP99Ms} ms (≤ ${ratio(QA_TARGETS.sustainedP99Ratio)} the baseline's should the baseline itself be above
  BASELINES.md's ${QA_TARGETS.baselineSustainedP99Ms} ms). The steady-rate list rows are for information.${report.cpuProfileDir ? `\n- CPU profile of Podium: \`${report.cpuProfileDir}\` (\`BENCH_QA_CPU_PROF\`).` : ""}
${standalone ? `\nChecks of this run:\n\n${markdownTable([["check", "result"], ...t.checks])}\n` : ""}`;
}
