/**
 * The authentication-overhead section of the benchmark's output (see auth-latency.ts): tables for stdout and
 * RESULTS.md, and the rows it adds to the "Targets and checks" table.
 */
import type { AuthCaseKey, AuthCaseResult, AuthReport, AuthScenario } from "./auth-latency.js";
import { redactUrl } from "./auth-setup.js";
import { loadProblems, type LoadResult } from "./throughput.js";

/** Added time at p50, in µs. */
export const AUTH_TARGETS = {
  attendeeP50Us: 100,
  presenterRedisP50Us: 1_000,
  /** The brief's bound for a presenter, whatever the storage. */
  presenterBriefP50Us: 5_000,
} as const;

export interface AuthTables {
  latency: string[][];
  load: string[][];
  checks: string[][];
  /** "case: r1, r2, …" lines of added p50 per round. */
  rounds: string[];
  /** Figures doubtful: unexpected statuses, load errors, a server not exiting 0. */
  invalid: boolean;
}

const us = (n: number) => `${Math.round(n).toLocaleString("en-US")} µs`;
const signedUs = (n: number) => `${n >= 0 ? "+" : "−"}${us(Math.abs(n))}`;
const addedLabel = (n: number) => (Math.abs(n) >= 1_000 ? `${(n / 1_000).toFixed(2)} ms` : us(n));
const num = (n: number) => Math.round(n).toLocaleString("en-US");
const percent = (share: number | undefined) => (share === undefined ? "?" : `${Math.round(share * 100)} %`);
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

function below(value: number, limitUs: number, suffix = ""): string {
  return `< ${addedLabel(limitUs)}${suffix}: ${verdict(value < limitUs)}`;
}

function targetOf(result: AuthCaseResult): string {
  const added = result.addedP50Us;
  switch (result.key) {
    case "attendee":
      return below(added, AUTH_TARGETS.attendeeP50Us);
    case "presenterRedis":
      return `${below(added, AUTH_TARGETS.presenterRedisP50Us)}; ${below(added, AUTH_TARGETS.presenterBriefP50Us, " (brief)")}`;
    case "presenterPostgres":
      return below(added, AUTH_TARGETS.presenterBriefP50Us, " (brief)");
    case "attendeeRedis":
      return "none (informational)";
  }
}

function find(report: AuthReport, key: AuthCaseKey): { scenario?: AuthScenario; result?: AuthCaseResult } {
  const scenario = report.scenarios.find((s) => s.planned.some((p) => p.key === key));
  return { scenario, result: scenario?.cases.find((c) => c.key === key) };
}

function checkRow(
  report: AuthReport,
  key: AuthCaseKey,
  label: string,
  limitUs: number,
  suffix = "",
): string[] {
  const { scenario, result } = find(report, key);
  if (!result)
    return [label, scenario?.notMeasured ? `not measured: ${scenario.notMeasured}` : "not measured"];
  return [label, `${addedLabel(result.addedP50Us)}: ${verdict(result.addedP50Us < limitUs)}${suffix}`];
}

export function authTables(report: AuthReport, busyMachine: number): AuthTables {
  const latency = [
    [
      "case",
      "open p50",
      "open p99",
      "protected p50",
      "protected p99",
      "added p50",
      "added p99",
      "target",
      "requests",
    ],
  ];
  const load = [
    ["case", "open req/s", "protected req/s", "protected ÷ open", "open p99", "protected p99", "others' CPU"],
  ];
  const rounds: string[] = [];
  const problems: string[] = [];
  for (const scenario of report.scenarios) {
    if (scenario.notMeasured !== undefined) {
      const dash = ["—", "—", "—", "—"];
      for (const planned of scenario.planned)
        latency.push([planned.label, ...dash, `not measured: ${scenario.notMeasured}`, "—", "—", "0"]);
      rounds.push(
        `${scenario.name}: not measured: ${scenario.notMeasured} (${scenario.notMeasuredDetail ?? "?"})`,
      );
      continue;
    }
    for (const [route, count] of Object.entries(scenario.unexpected)) problems.push(`${route}: ${count}×`);
    if (scenario.exit && scenario.exit.code !== 0)
      problems.push(`${scenario.name}: server exit ${scenario.exit.code ?? scenario.exit.signal} on SIGTERM`);
    const loads: LoadResult[] = [];
    if (scenario.openLoad) loads.push(scenario.openLoad);
    for (const result of scenario.cases) {
      latency.push([
        result.label,
        us(result.open.p50Us),
        us(result.open.p99Us),
        us(result.protected.p50Us),
        us(result.protected.p99Us),
        signedUs(result.addedP50Us),
        signedUs(result.addedP99Us),
        targetOf(result),
        `${num(result.openSamples)} + ${num(result.samples)}`,
      ]);
      rounds.push(`${result.label}: ${result.rounds.map((r) => signedUs(r.addedP50Us)).join(", ")}`);
      const open = scenario.openLoad;
      if (result.load) loads.push(result.load);
      if (open && result.load) {
        load.push([
          result.label,
          num(open.reqPerSec),
          num(result.load.reqPerSec),
          `${(result.load.reqPerSec / open.reqPerSec).toFixed(2)}x`,
          `${open.latencyP99Ms} ms`,
          `${result.load.latencyP99Ms} ms`,
          `${percent(open.othersCpu)} / ${percent(result.load.othersCpu)}`,
        ]);
      }
    }
    for (const run of loads) {
      const problem = loadProblems(run);
      if (problem) problems.push(`${scenario.name}, ${run.label} at ${run.url}: ${problem}`);
    }
  }

  const busiest = Math.max(0, ...report.scenarios.map((s) => s.othersCpuMax ?? 0));
  const checks = [
    checkRow(
      report,
      "attendee",
      `attendee JWT adds < ${addedLabel(AUTH_TARGETS.attendeeP50Us)} at p50`,
      AUTH_TARGETS.attendeeP50Us,
    ),
    checkRow(
      report,
      "presenterRedis",
      `presenter token adds < ${addedLabel(AUTH_TARGETS.presenterRedisP50Us)} at p50 (with Redis)`,
      AUTH_TARGETS.presenterRedisP50Us,
    ),
    checkRow(
      report,
      "presenterRedis",
      `presenter token adds < ${addedLabel(AUTH_TARGETS.presenterBriefP50Us)} at p50 (brief; with Redis)`,
      AUTH_TARGETS.presenterBriefP50Us,
    ),
    checkRow(
      report,
      "presenterPostgres",
      `presenter token adds < ${addedLabel(AUTH_TARGETS.presenterBriefP50Us)} at p50 (brief; PostgreSQL only)`,
      AUTH_TARGETS.presenterBriefP50Us,
    ),
    [
      `others' CPU < ${percent(busyMachine)} during every auth latency round`,
      busiest < busyMachine
        ? `PASS (max ${percent(busiest)})`
        : `WARN (max ${percent(busiest)}: neighbours disturbed the latency figures; rerun on a quieter machine)`,
    ],
    [
      "auth benchmark: every response 200 (no 401, no 429), no errors, servers exit 0",
      problems.length ? `FAIL (${problems.join("; ")})` : "PASS",
    ],
  ];
  return { latency, load, checks, rounds, invalid: problems.length > 0 };
}

function heading(report: AuthReport): string {
  const s = report.settings;
  return (
    `1 keep-alive connection, 1 request in flight, batches of ${s.batch} alternating between routes; ` +
    `${s.warmupS} s warm-up, median of ${s.rounds} rounds of ${s.roundS} s`
  );
}

export function renderAuthText(
  report: AuthReport,
  t: AuthTables,
  plainTable: (rows: string[][]) => string,
): string {
  return [
    `\nAuthentication overhead: GET /bench/protected with a credential vs GET /bench/open (${heading(report)})`,
    plainTable(t.latency),
    "Added p50 round by round:",
    ...t.rounds.map((line) => `  ${line}`),
    `\nThroughput, protected vs open (${report.settings.load.connections} connections, informational)`,
    plainTable(t.load),
  ].join("\n");
}

export function renderAuthMarkdown(
  report: AuthReport,
  t: AuthTables,
  markdownTable: (rows: string[][]) => string,
): string {
  const s = report.settings;
  return `## Authentication overhead

The time authentication adds to a request: \`GET /bench/protected\` (\`preHandler: app.requireActor\`) with a
credential, against \`GET /bench/open\` (the identical handler, no credential) on the same server in the same
run. ${heading(report)}. Added = percentile(protected) − percentile(open) within a round; the table gives the
median over the rounds of each figure.

${markdownTable(t.latency)}

Added p50 round by round:

${t.rounds.map((line) => `- ${line}`).join("\n")}

Throughput, protected vs open (${s.load.connections} connections, ${s.load.durationS} s per route after ${s.load.warmupS} s
warm-up, autocannon; informational):

${markdownTable(t.load)}

How:

- Server: \`bench/auth-server.ts\` in a child process (\`node --import tsx\`; the server code is dist/'s
  JavaScript) calls \`startServer\` with a \`register\` that adds the two routes; the database is the one of the
  rest of this run. \`NODE_ENV=development\` for the name-and-email sign-in (NODE_ENV changes nothing else on
  the request path: better-auth's own rate limit is off and its cookie settings are explicit), \`LOG_LEVEL=warn\`,
  \`RATE_LIMIT_IP_MAX\` and \`RATE_LIMIT_ACTOR_MAX\` at 10^9 (a check in "Targets and checks" asserts no 429), a random \`AUTH_SECRET\`.
- Two servers one after the other: without \`REDIS_URL\` (presenter and attendee), then with
  \`REDIS_URL=${redactUrl(s.redisUrl)}\` (\`BENCH_REDIS_URL\`; by default logical database 15, so the benchmark's
  rate-limit counters never meet those of tests and servers on database 0). Unreachable Redis: that server's rows say "not measured: no Redis". With Redis the
  benchmark first checks that the server counts rate limits and writes its auth generation there.
- Presenter: \`POST /api/auth/dev/sign-in\`, bearer token from \`set-auth-token\`. Sessions live in
  PostgreSQL; an instance reuses a session it read (\`SESSION_CACHE_TTL_MS\`, 60 s) while the auth generation
  is unchanged, so a steady client measures a cache hit: a generation check (memory, or one Redis GET) and
  the cached actor. A cache miss (the first request, or after any sign-out) runs better-auth's session read,
  measured at about 1.1–1.6 ms added before the cache existed. Attendee: a JWT from \`authServices.attendeeTokens.issue\` with random
  ids (verified without a database trip; the route needs only an actor).
- What "added" contains: the auth preHandler (credential → actor: HMAC check of the attendee token, or the
  session cache) and, for any non-anonymous caller, the
  per-actor rate limit (in memory without Redis; one Redis script per request with it) and \`requireActor\`.
  With Redis the per-IP limit also goes to Redis on both routes, which is why the open route is slower there.
- Client: \`bench/keepalive-client.ts\`, a minimal HTTP/1.1 client on one TCP connection (prebuilt requests,
  Content-Length framing), in the benchmark process; times from \`process.hrtime.bigint()\` before the write to
  the arrival of the last byte. With one request in flight the client and the server never compete for the
  CPU, and nothing queues inside the server, so the difference is the time the protected route spends more.
  Percentiles are nearest-rank over each round's requests.
- "others' CPU" as in the throughput section, except that a Redis server running on this machine counts as the
  benchmark's (it serves these requests), not as a neighbour's.
`;
}
