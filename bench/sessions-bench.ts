/**
 * Sessions and attendees (issue 4, point 13): `GET /api/sessions` pages with 10,000 sessions across 100
 * presenters in the database, and the 1,000-join storm into a session of capacity 500, each beside a bare
 * Fastify + raw `pg` baseline (bare-sessions.ts) measured in the same run, on the same database.
 *
 * Podium: `node dist/main.js` with NODE_ENV=development (for the name-and-email sign-in), rate limits raised
 * out of the way and the presence sweeper's grace period at 24 h (SERVER_ENV below). Presenters sign in over
 * HTTP; their sessions are inserted with SQL (sessions-seed.ts).
 *
 * List: autocannon, LIST_CONNECTIONS connections, each request naming the next presenter in turn (100 bearer
 * tokens; the baseline gets the same user in `x-bench-user`), first pages and cursor pages 2–5. Every response
 * must be 200 and byte-identical to the one checked before the run (20 items; nothing changes meanwhile).
 * Storm: join-storm-client.ts in its own process, a fresh live session per round, rounds alternating which
 * server goes first; afterwards the counters and rows in the database are checked.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import autocannon from "autocannon";
import pg from "pg";
import { forceStop, freePort, spawnChild, stopGracefully, waitFor200, waitForLine } from "./children.js";
import { cpuSnapshot, othersShare } from "./cpu.js";
import { ROOT, startPodium, type DatabaseTarget } from "./podium.js";
import {
  createBaselineSession,
  createBaselineTables,
  databaseUrl,
  removeSeed,
  runTag,
  seedSessions,
  send,
  signInPresenter,
  signInPresenters,
  BASELINE_SCHEMA,
  LIST_SQL,
  type Presenter,
  type SeedSummary,
} from "./sessions-seed.js";
import type { StormClientResult } from "./join-storm-client.js";

export const LIST_CONNECTIONS = 50;
export const PAGE_SIZE = 20;
/** Cursor pages measured after the first: 2 … DEEPEST_PAGE (each presenter sees 102 sessions: 5 full pages). */
export const DEEPEST_PAGE = 5;
export const LIST_ROUNDS = 3;
export const STORM_ROUNDS = 5;
export const STORM_JOINS = 1_000;
export const STORM_CAPACITY = 500;
const STORM_MARKER = "join-storm result";
const STATS_FLUSH_MS = 1_500;
const UNLIMITED = "1000000000";
const POOL_MAX = Number(process.env.DATABASE_POOL_MAX || "10");

/** What the Podium under test gets on top of startPodium's production defaults. */
export const SERVER_ENV: Record<string, string> = {
  NODE_ENV: "development",
  RATE_LIMIT_IP_MAX: UNLIMITED,
  RATE_LIMIT_ACTOR_MAX: UNLIMITED,
  RATE_LIMIT_SIGN_IN_MAX: UNLIMITED,
  PRESENCE_GRACE_MS: String(24 * 3_600_000),
  DATABASE_POOL_MAX: String(POOL_MAX),
};

export type System = "baseline" | "podium";
export type PageKind = "first" | "deep";

export interface SessionsSettings {
  connections: number;
  durationS: number;
  warmupS: number;
  listRounds: number;
  stormRounds: number;
  joins: number;
  capacity: number;
  poolMax: number;
}

export interface ListRun {
  system: System;
  page: PageKind;
  round: number;
  reqPerSec: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Responses that were not 200, and 200s whose body differed from the checked one. */
  non200: number;
  wrongBody: number;
  errors: number;
  timeouts: number;
  othersCpu: number | undefined;
}

export interface StormDbCheck {
  present: number;
  peak: number;
  rows: number;
  presentRows: number;
  /** `attendee.joined` rows in session_events (Podium only; the baseline logs nothing). */
  joinedEvents: number | null;
  /**
   * Backends started for this database during the storm (pg_stat_database.sessions, PostgreSQL ≥ 14; null
   * when unknown): a pool that keeps its connections opens none.
   */
  connectionsOpened: number | null;
}

export interface StormRound {
  system: System;
  round: number;
  client: StormClientResult;
  db: StormDbCheck;
  exact: boolean;
  othersCpu: number | undefined;
}

export interface ExplainResult {
  label: string;
  planningMs: number;
  executionMs: number;
  plan: string;
}

export interface SessionsReport {
  settings: SessionsSettings;
  seed: SeedSummary;
  serverEnv: Record<string, string>;
  /** Every list run in the order measured. */
  list: ListRun[];
  storms: StormRound[];
  explain: ExplainResult[];
  exits: Array<{ name: string; code: number | null; signal: NodeJS.Signals | null }>;
}

export function sessionsSettings(durationS: number, warmupS: number): SessionsSettings {
  return {
    connections: LIST_CONNECTIONS,
    durationS,
    warmupS,
    listRounds: LIST_ROUNDS,
    stormRounds: STORM_ROUNDS,
    joins: STORM_JOINS,
    capacity: STORM_CAPACITY,
    poolMax: POOL_MAX,
  };
}

/** One page a request may ask for: the same path on both servers, a credential for each. */
interface Variant {
  path: string;
  podiumHeaders: Record<string, string>;
  baselineHeaders: Record<string, string>;
  podiumBody: string;
  baselineBody: string;
}

interface Page {
  items: Array<{ id: string }>;
  nextCursor: string | null;
}

function parsePage(body: string): Page {
  return JSON.parse(body) as Page;
}

/** Walks each presenter's pages 1 … DEEPEST_PAGE on both servers and checks that they hold the same 20 sessions. */
async function buildVariants(
  podiumUrl: string,
  baselineUrl: string,
  presenters: Presenter[],
): Promise<Record<PageKind, Variant[]>> {
  const byPage: Variant[][] = Array.from({ length: DEEPEST_PAGE }, () => []);
  for (const presenter of presenters) {
    let cursor: string | null = null;
    for (let page = 1; page <= DEEPEST_PAGE; page++) {
      const path = `/api/sessions?limit=${PAGE_SIZE}${cursor ? `&cursor=${cursor}` : ""}`;
      const podiumHeaders = { authorization: `Bearer ${presenter.token}` };
      const baselineHeaders = { "x-bench-user": presenter.userId };
      const podium = await send(`${podiumUrl}${path}`, "GET", podiumHeaders);
      const baseline = await send(`${baselineUrl}${path}`, "GET", baselineHeaders);
      const where = `presenter ${presenter.index + 1}, page ${page}`;
      if (podium.status !== 200)
        throw new Error(`Podium ${where}: ${podium.status} ${podium.body.slice(0, 300)}`);
      if (baseline.status !== 200)
        throw new Error(`baseline ${where}: ${baseline.status} ${baseline.body.slice(0, 300)}`);
      const ours = parsePage(podium.body);
      const theirs = parsePage(baseline.body);
      if (ours.items.length !== PAGE_SIZE || theirs.items.length !== PAGE_SIZE)
        throw new Error(
          `${where}: ${ours.items.length} items from Podium, ${theirs.items.length} from the baseline`,
        );
      const same = ours.items.every((item, i) => item.id === theirs.items[i]?.id);
      if (!same || ours.nextCursor !== theirs.nextCursor)
        throw new Error(`${where}: Podium and the baseline disagree on the page (items or nextCursor)`);
      byPage[page - 1]!.push({
        path,
        podiumHeaders,
        baselineHeaders,
        podiumBody: podium.body,
        baselineBody: baseline.body,
      });
      cursor = ours.nextCursor;
      if (!cursor && page < DEEPEST_PAGE) throw new Error(`${where}: no next page`);
    }
  }
  const [first = [], ...deeper] = byPage;
  // Pages 2–5 in turn per presenter: consecutive requests go to different presenters and pages.
  const deep: Variant[] = [];
  for (let i = 0; i < presenters.length; i++) for (const pages of deeper) deep.push(pages[i]!);
  return { first, deep };
}

function fire(
  url: string,
  variants: Variant[],
  system: System,
  settings: SessionsSettings,
  durationS: number,
): Promise<{ result: autocannon.Result; non200: number; wrongBody: number }> {
  let next = 0;
  let non200 = 0;
  let wrongBody = 0;
  const headersOf = (v: Variant) => (system === "podium" ? v.podiumHeaders : v.baselineHeaders);
  const expected = variants.map((v) => (system === "podium" ? v.podiumBody : v.baselineBody));
  return autocannon({
    url,
    connections: settings.connections,
    duration: durationS,
    pipelining: 1,
    requests: [
      {
        method: "GET",
        setupRequest: (request, context) => {
          const index = next++ % variants.length;
          (context as { variant?: number }).variant = index;
          const variant = variants[index]!;
          return { ...request, path: variant.path, headers: headersOf(variant) };
        },
        onResponse: (status, body, context) => {
          if (status !== 200) non200++;
          else if (body !== expected[(context as { variant: number }).variant]) wrongBody++;
        },
      },
    ],
  }).then((result) => ({ result, non200, wrongBody }));
}

async function listRun(
  url: string,
  variants: Variant[],
  system: System,
  page: PageKind,
  round: number,
  settings: SessionsSettings,
): Promise<ListRun> {
  if (settings.warmupS > 0) await fire(url, variants, system, settings, settings.warmupS);
  const before = cpuSnapshot();
  const { result, non200, wrongBody } = await fire(url, variants, system, settings, settings.durationS);
  return {
    system,
    page,
    round,
    reqPerSec: result.requests.average,
    requests: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    non200,
    wrongBody,
    errors: result.errors,
    timeouts: result.timeouts,
    othersCpu: othersShare(before, cpuSnapshot()),
  };
}

/** EXPLAIN ANALYZE of the statements a list request issues (the second of two runs: caches warm). */
async function explainList(
  db: pg.Pool,
  presenter: Presenter,
  deepVariants: Variant[],
): Promise<ExplainResult[]> {
  const explain = async (label: string, sql: string, params: unknown[]): Promise<ExplainResult> => {
    let rows: Array<{ "QUERY PLAN": string }> = [];
    for (let i = 0; i < 2; i++)
      rows = (await db.query<{ "QUERY PLAN": string }>(`explain (analyze, buffers) ${sql}`, params)).rows;
    const lines = rows.map((row) => row["QUERY PLAN"]);
    const figure = (name: string) =>
      Number(lines.find((l) => l.startsWith(name))?.match(/([\d.]+) ms/)?.[1] ?? Number.NaN);
    return {
      label,
      planningMs: figure("Planning Time"),
      executionMs: figure("Execution Time"),
      plan: lines.join("\n"),
    };
  };
  // Presenter 0's deepest page: the deep variants are pages 2 … DEEPEST_PAGE of each presenter in turn.
  const deepest = deepVariants[DEEPEST_PAGE - 2];
  const cursorOf = (path: string): [string, string] =>
    JSON.parse(
      Buffer.from(new URL(path, "http://x").searchParams.get("cursor")!, "base64url").toString("utf8"),
    );
  const results = [await explain("list, first page", LIST_SQL(false), [presenter.userId, PAGE_SIZE + 1])];
  if (deepest) {
    const [at, id] = cursorOf(deepest.path);
    results.push(
      await explain(`list, page ${DEEPEST_PAGE} (cursor)`, LIST_SQL(true), [
        presenter.userId,
        PAGE_SIZE + 1,
        at,
        id,
      ]),
    );
  }
  return results;
}

async function createPodiumSession(
  url: string,
  host: Presenter,
  round: number,
  capacity: number,
): Promise<string> {
  const headers = { authorization: `Bearer ${host.token}`, "content-type": "application/json" };
  const created = await send(
    `${url}/api/sessions`,
    "POST",
    headers,
    JSON.stringify({ title: `Join storm round ${round}`, capacity }),
  );
  if (created.status !== 201)
    throw new Error(`POST /api/sessions: ${created.status} ${created.body.slice(0, 300)}`);
  const id = (JSON.parse(created.body) as { id: string }).id;
  const started = await send(`${url}/api/sessions/${id}/start`, "POST", headers, "{}");
  if (started.status !== 200) throw new Error(`start: ${started.status} ${started.body.slice(0, 300)}`);
  return id;
}

/** Backends started for the current database so far (null before PostgreSQL 14). */
async function connectionsSoFar(db: pg.Pool): Promise<number | null> {
  const client = await db.connect();
  try {
    await client.query("select pg_stat_clear_snapshot()");
    const { rows } = await client.query<{ sessions: string }>(
      "select sessions from pg_stat_database where datname = current_database()",
    );
    return rows[0] ? Number(rows[0].sessions) : null;
  } catch {
    return null;
  } finally {
    client.release();
  }
}

async function stormDbCheck(
  db: pg.Pool,
  system: System,
  sessionId: string,
  connectionsBefore: number | null,
): Promise<StormDbCheck> {
  const schema = system === "podium" ? "public" : BASELINE_SCHEMA;
  const events =
    system === "podium"
      ? `(select count(*) from session_events e where e.session_id = s.id and e.type = 'attendee.joined')::int`
      : "null::int";
  const { rows } = await db.query<{
    present: number;
    peak: number;
    rows: number;
    present_rows: number;
    joined_events: number | null;
  }>(
    `select s.attendees_present as present, s.attendees_peak as peak,
            (select count(*) from ${schema}.attendees a where a.session_id = s.id)::int as rows,
            (select count(*) from ${schema}.attendees a
             where a.session_id = s.id and a.status in ('connected', 'reconnecting'))::int as present_rows,
            ${events} as joined_events
     from ${schema}.sessions s where s.id = $1`,
    [sessionId],
  );
  const row = rows[0];
  if (!row) throw new Error(`${system} storm session ${sessionId} is gone`);
  // Backends flush their statistics at most once a second once idle.
  await sleep(STATS_FLUSH_MS);
  const connectionsAfter = await connectionsSoFar(db);
  return {
    present: row.present,
    peak: row.peak,
    rows: row.rows,
    presentRows: row.present_rows,
    joinedEvents: row.joined_events,
    connectionsOpened:
      connectionsBefore === null || connectionsAfter === null ? null : connectionsAfter - connectionsBefore,
  };
}

export function stormExact(client: StormClientResult, db: StormDbCheck, settings: SessionsSettings): boolean {
  const seats = settings.capacity;
  const refused = settings.joins - settings.capacity;
  const statuses = Object.entries(client.statuses);
  return (
    client.statuses["201"] === seats &&
    client.statuses["409"] === refused &&
    statuses.every(([status]) => status === "201" || status === "409") &&
    client.codes["SESSION_FULL"] === refused &&
    client.distinctAttendees === seats &&
    db.present === seats &&
    db.rows === seats &&
    db.presentRows === seats &&
    (db.joinedEvents === null || db.joinedEvents === seats)
  );
}

async function storm(
  system: System,
  round: number,
  url: string,
  sessionId: string,
  primePath: string,
  db: pg.Pool,
  settings: SessionsSettings,
): Promise<StormRound> {
  const client = spawnChild(
    `join-storm client (${system}, round ${round})`,
    process.execPath,
    ["--import", "tsx", join(ROOT, "bench", "join-storm-client.ts")],
    {
      ...process.env,
      STORM_URL: url,
      STORM_PATH: `/api/attendee/join/${sessionId}`,
      STORM_PRIME_PATH: primePath,
      STORM_COUNT: String(settings.joins),
      STORM_NAME: `Storm ${system} ${round}`,
    },
  );
  const connectionsBefore = await connectionsSoFar(db);
  const before = cpuSnapshot();
  let line: string;
  try {
    line = await waitForLine(client, STORM_MARKER, 120_000);
  } catch (error) {
    await forceStop(client);
    throw error;
  }
  const othersCpu = othersShare(before, cpuSnapshot());
  const exit = await client.exit;
  if (exit.code !== 0)
    throw new Error(`${client.name} exited with ${exit.code ?? exit.signal}:\n${client.tail()}`);
  await stopGracefully(client, 1_000);
  const result = JSON.parse(
    line.slice(line.indexOf(STORM_MARKER) + STORM_MARKER.length),
  ) as StormClientResult;
  const check = await stormDbCheck(db, system, sessionId, connectionsBefore);
  return { system, round, client: result, db: check, exact: stormExact(result, check, settings), othersCpu };
}

const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;

export async function measureSessions(
  target: DatabaseTarget,
  settings: SessionsSettings,
  log: (line: string) => void,
): Promise<SessionsReport> {
  const embeddedPort = await freePort();
  const podium = await startPodium("podium (sessions)", target, {
    env: {
      ...SERVER_ENV,
      AUTH_SECRET: randomBytes(32).toString("base64url"),
      GOOGLE_CLIENT_ID: undefined,
      GOOGLE_CLIENT_SECRET: undefined,
      GITHUB_CLIENT_ID: undefined,
      GITHUB_CLIENT_SECRET: undefined,
      ...(target.kind === "embedded" ? { EMBEDDED_PG_PORT: String(embeddedPort) } : {}),
    },
  });
  const publicUrl = podium.url; // startPodium's PUBLIC_URL: the Origin the sign-in wants
  let db: pg.Pool | undefined;
  let bare: ReturnType<typeof spawnChild> | undefined;
  const userIds: string[] = [];
  try {
    await waitFor200(`${podium.url}/api/health`, podium.child, 120_000);
    // Idle connections kept: the storm's count of new database connections must not include ours.
    db = new pg.Pool({
      connectionString: await databaseUrl(target, embeddedPort),
      max: 4,
      idleTimeoutMillis: 0,
    });
    const tag = runTag();

    log(`  seeding: ${100} presenters signed in over HTTP, 10,000 sessions with SQL…`);
    const signInStarted = performance.now();
    const presenters = await signInPresenters(podium.url, publicUrl, db, tag);
    const host = await signInPresenter(
      podium.url,
      publicUrl,
      db,
      presenters.length,
      "Storm Host",
      `bench.storm-host.${tag.toLowerCase()}@example.test`,
    );
    userIds.push(...presenters.map((p) => p.userId), host.userId);
    const signInMs = performance.now() - signInStarted;
    const seed = { ...(await seedSessions(db, presenters, tag)), signInMs };
    log(
      `    ${seed.sessions.toLocaleString("en-US")} sessions (${Object.entries(seed.byStatus)
        .map(([s, n]) => `${n} ${s}`)
        .join(
          ", ",
        )}), ${seed.attendees.toLocaleString("en-US")} attendees (${seed.attendeesPresent} present), ` +
        `${seed.questions.toLocaleString("en-US")} questions, ${seed.coHostGrants} co-host grants; ` +
        `sign-in ${(signInMs / 1000).toFixed(1)} s, SQL ${(seed.insertMs / 1000).toFixed(1)} s`,
    );
    await createBaselineTables(db);

    const barePort = await freePort();
    bare = spawnChild(
      "bare-sessions",
      process.execPath,
      ["--import", "tsx", join(ROOT, "bench", "bare-sessions.ts")],
      {
        ...process.env,
        NODE_ENV: "production",
        HOST: "127.0.0.1",
        PORT: String(barePort),
        POOL_MAX: String(settings.poolMax),
        DATABASE_URL: await databaseUrl(target, embeddedPort),
      },
    );
    await waitForLine(bare, "bare-sessions ready", 30_000);
    const bareUrl = `http://127.0.0.1:${barePort}`;

    log(`  checking every page on both servers (${presenters.length} presenters × ${DEEPEST_PAGE} pages)…`);
    const variants = await buildVariants(podium.url, bareUrl, presenters);
    const explain = await explainList(db, presenters[0]!, variants.deep);
    for (const e of explain) log(`    EXPLAIN ANALYZE ${e.label}: execution ${e.executionMs} ms`);

    const list: ListRun[] = [];
    for (let round = 1; round <= settings.listRounds; round++) {
      for (const page of ["first", "deep"] as const) {
        for (const system of ["baseline", "podium"] as const) {
          const url = system === "podium" ? podium.url : bareUrl;
          log(
            `  round ${round}/${settings.listRounds}, ${system}, ${page === "first" ? "first pages" : `pages 2–${DEEPEST_PAGE}`}: ` +
              `${settings.warmupS} s warm-up, ${settings.durationS} s measured…`,
          );
          const run = await listRun(url, variants[page], system, page, round, settings);
          const problems = [
            run.non200 ? `${run.non200} non-200` : "",
            run.wrongBody ? `${run.wrongBody} unexpected bodies` : "",
            run.errors ? `${run.errors} errors` : "",
            run.timeouts ? `${run.timeouts} timeouts` : "",
          ].filter(Boolean);
          log(
            `    ${Math.round(run.reqPerSec)} req/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, max ${run.maxMs} ms` +
              (problems.length ? ` (${problems.join(", ")})` : ""),
          );
          list.push(run);
        }
      }
    }

    const storms: StormRound[] = [];
    for (let round = 1; round <= settings.stormRounds; round++) {
      const order: System[] = round % 2 ? ["baseline", "podium"] : ["podium", "baseline"];
      for (const system of order) {
        const sessionId =
          system === "podium"
            ? await createPodiumSession(podium.url, host, round, settings.capacity)
            : await createBaselineSession(db, settings.capacity, tag, round);
        const url = system === "podium" ? podium.url : bareUrl;
        const prime = system === "podium" ? "/api/health/live" : "/";
        const result = await storm(system, round, url, sessionId, prime, db, settings);
        const c = result.client;
        log(
          `  storm round ${round}/${settings.stormRounds}, ${system}: ${c.statuses["201"] ?? 0} × 201, ` +
            `${c.statuses["409"] ?? 0} × 409, p50 ${ms(c.p50Us)}, p99 ${ms(c.p99Us)}, wall ${c.wallMs.toFixed(0)} ms; ` +
            `DB present ${result.db.present}, rows ${result.db.rows}: ${result.exact ? "exact" : "NOT EXACT"}`,
        );
        storms.push(result);
      }
    }

    const exits: SessionsReport["exits"] = [];
    const bareStop = await stopGracefully(bare, 20_000);
    exits.push({ name: bare.name, code: bareStop.code, signal: bareStop.signal });
    bare = undefined;
    if (target.kind === "url") await removeSeed(db, userIds);
    await db.end();
    db = undefined;
    const podiumStop = await stopGracefully(podium.child, 20_000);
    exits.push({ name: podium.child.name, code: podiumStop.code, signal: podiumStop.signal });
    for (const exit of exits)
      if (exit.code !== 0) log(`  ${exit.name} exited with ${exit.code ?? exit.signal} on SIGTERM`);
    return { settings, seed, serverEnv: SERVER_ENV, list, storms, explain, exits };
  } catch (error) {
    if (bare) await forceStop(bare);
    if (db) {
      if (target.kind === "url") await removeSeed(db, userIds).catch(() => undefined);
      await db.end().catch(() => undefined);
    }
    await forceStop(podium.child);
    throw error;
  }
}
