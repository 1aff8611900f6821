/**
 * Q&A (issue 6, point 9), each figure beside a baseline measured in the same run on the same database:
 *
 * - List: `GET /api/sessions/:id/questions?sort=top|new|trending&status=open&limit=50` as an attendee, autocannon
 *   at 50 connections, against bare Fastify + `pg` sending the same statement (bare-qa.ts).
 * - Vote burst: 1,000 distinct attendees vote +1 on one question at once (qa-client.ts in its own process); the
 *   recount must then make `questions.upvotes` = 1,000 = the rows. Baseline: the same 1,000 upserts straight
 *   through a `pg` Pool of 10 (qa-client.ts, pg-burst).
 * - Sustained: 500 votes/s for 30 s, open loop, over 2,000 attendees × 4 questions, +1/0/−1; every acknowledged
 *   vote must be in the table as last acknowledged, and the tallies equal a count over the rows. Baseline: the same
 *   schedule of statements straight through `pg`.
 *
 * Data: qa-seed.ts (a live session with 600 questions and their votes). Podium: `node dist/main.js` with QA_SERVER_ENV.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import {
  forceStop,
  freePort,
  spawnChild,
  stopGracefully,
  waitFor200,
  waitForLine,
  type Child,
} from "./children.js";
import { PODIUM_ENTRY, ROOT, startPodium, type DatabaseTarget } from "./podium.js";
import {
  checkLists,
  explainLists,
  listRun,
  pacedListRun,
  type ExplainResult,
  type ListRun,
} from "./qa-list.js";
import {
  BOARD_QUESTIONS,
  createQaSession,
  databaseUrl,
  joinAttendees,
  removeQaSeed,
  seedBoard,
  SEED_ATTENDEES,
  type BoardSummary,
  type ListSort,
} from "./qa-seed.js";
import { burst, sustainedRun, type BurstRound, type Context, type SustainedRound } from "./qa-vote-runs.js";
import type { SustainedPlan } from "./qa-votes.js";

const UNLIMITED = "1000000000";
const POOL_MAX = 10;

/** What the Podium under test gets on top of startPodium's production defaults (documented in the report). */
export const QA_SERVER_ENV: Record<string, string> = {
  NODE_ENV: "development",
  RATE_LIMIT_IP_MAX: UNLIMITED,
  RATE_LIMIT_ACTOR_MAX: UNLIMITED,
  RATE_LIMIT_SIGN_IN_MAX: UNLIMITED,
  QA_VOTES_PER_MINUTE: UNLIMITED,
  QA_QUESTIONS_PER_MINUTE: UNLIMITED,
  PRESENCE_GRACE_MS: String(24 * 3_600_000),
  DATABASE_POOL_MAX: String(POOL_MAX),
};

export type QaSystem = "baseline" | "podium";

export interface QaSettings {
  connections: number;
  durationS: number;
  warmupS: number;
  listRounds: number;
  limit: number;
  sorts: ListSort[];
  /** The list again at this steady rate, open loop (qa-client.ts): latency without saturation. */
  pacedRate: number;
  /** Keep-alive connections the paced client opens first (more when all are busy). */
  pacedConnections: number;
  burstRounds: number;
  burstVotes: number;
  sustained: SustainedPlan;
  sustainedRounds: number;
  /** Seconds of votes at the same rate on a question of their own before each sustained run (not measured). */
  sustainedWarmupS: number;
  /** Keep-alive connections the sustained HTTP client opens before its first send. */
  sustainedConnections: number;
  poolMax: number;
  /** The parts to run (BENCH_QA_PARTS, e.g. "burst,sustained"; default all). */
  parts: QaPart[];
}

export type QaPart = "list" | "burst" | "sustained";
const PARTS: QaPart[] = ["list", "burst", "sustained"];

function partsFromEnv(): QaPart[] {
  const raw = process.env.BENCH_QA_PARTS;
  if (!raw) return PARTS;
  const parts = raw.split(",").map((p) => p.trim());
  const unknown = parts.filter((p) => !PARTS.includes(p as QaPart));
  if (unknown.length || parts.length === 0)
    throw new Error(`BENCH_QA_PARTS must list some of ${PARTS.join(", ")} (got ${JSON.stringify(raw)})`);
  return parts as QaPart[];
}

function fromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

/**
 * BENCH_QA_LIST_ROUNDS, BENCH_QA_BURST_ROUNDS, BENCH_QA_SUSTAINED_S, BENCH_QA_SUSTAINED_ROUNDS: smaller for a smoke
 * run; BENCH_QA_PACED_RATE (list requests/s of the steady runs, default 100); BENCH_QA_PARTS (e.g. "sustained").
 */
export function qaSettings(durationS: number, warmupS: number): QaSettings {
  return {
    connections: 50,
    durationS,
    warmupS,
    listRounds: fromEnv("BENCH_QA_LIST_ROUNDS", 3),
    limit: 50,
    sorts: ["top", "new", "trending"],
    pacedRate: fromEnv("BENCH_QA_PACED_RATE", 100),
    pacedConnections: 16,
    burstRounds: fromEnv("BENCH_QA_BURST_ROUNDS", 3),
    burstVotes: 1_000,
    sustained: { rate: 500, durationS: fromEnv("BENCH_QA_SUSTAINED_S", 30), voters: 2_000, questions: 4 },
    sustainedRounds: fromEnv("BENCH_QA_SUSTAINED_ROUNDS", 1),
    sustainedWarmupS: 3,
    sustainedConnections: 32,
    poolMax: POOL_MAX,
    parts: partsFromEnv(),
  };
}

export interface QaReport {
  settings: QaSettings;
  serverEnv: Record<string, string>;
  postgres: { version: string; synchronousCommit: string; sharedBuffers: string };
  board: BoardSummary;
  joined: number;
  joinMs: number;
  list: ListRun[];
  explain: ExplainResult[];
  bursts: BurstRound[];
  sustained: SustainedRound[];
  cpuProfileDir: string | undefined;
  exits: Array<{ name: string; code: number | null; signal: NodeJS.Signals | null }>;
}

const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;

export async function measureQa(
  target: DatabaseTarget,
  settings: QaSettings,
  log: (line: string) => void,
): Promise<QaReport> {
  const profileDir = process.env.BENCH_QA_CPU_PROF || undefined;
  const embeddedPort = await freePort();
  const podium = await startPodium("podium (Q&A)", target, {
    args: profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, PODIUM_ENTRY] : [PODIUM_ENTRY],
    env: {
      ...QA_SERVER_ENV,
      GOOGLE_CLIENT_ID: undefined,
      GOOGLE_CLIENT_SECRET: undefined,
      GITHUB_CLIENT_ID: undefined,
      GITHUB_CLIENT_SECRET: undefined,
      REDIS_URL: undefined,
      ...(target.kind === "embedded" ? { EMBEDDED_PG_PORT: String(embeddedPort) } : {}),
    },
  });
  const dir = await mkdtemp(join(tmpdir(), "podium-bench-qa-"));
  const exits: QaReport["exits"] = [];
  let db: pg.Pool | undefined;
  let bare: Child | undefined;
  let seeded: { sessionId: string; hostUserId: string } | undefined;
  try {
    await waitFor200(`${podium.url}/api/health`, podium.child, 120_000);
    const url = await databaseUrl(target, embeddedPort);
    db = new pg.Pool({ connectionString: url, max: 4 });
    const setting = async (name: string) =>
      (await db!.query<{ v: string }>(`select current_setting($1) as v`, [name])).rows[0]!.v;
    const postgres = {
      version: await setting("server_version"),
      synchronousCommit: await setting("synchronous_commit"),
      sharedBuffers: await setting("shared_buffers"),
    };

    const capacity = SEED_ATTENDEES + settings.sustained.voters + 100;
    // startPodium's PUBLIC_URL: the Origin the development sign-in wants.
    const session = await createQaSession(podium.url, process.env.PUBLIC_URL || podium.url, capacity);
    seeded = { sessionId: session.sessionId, hostUserId: session.hostUserId };
    const voterCount = Math.max(settings.burstVotes, settings.sustained.voters);
    log(`  ${voterCount + 1} attendees join over HTTP (the viewer and the voters)…`);
    const joinStarted = performance.now();
    const [viewer, ...voters] = await joinAttendees(podium.url, session.sessionId, voterCount + 1, "Voter");
    const joinMs = performance.now() - joinStarted;
    // Fresh questions: one per burst; per sustained run its questions and one for its warm-up.
    const emptyNeeded =
      2 * settings.burstRounds + 2 * settings.sustainedRounds * (settings.sustained.questions + 1);
    log(`  seeding with SQL: ${SEED_ATTENDEES} attendees, ${BOARD_QUESTIONS} questions with votes…`);
    const { summary: board, empty } = await seedBoard(db, session.sessionId, viewer!.id, emptyNeeded);
    log(
      `    ${board.questions} questions (${Object.entries(board.byState)
        .map(([s, n]) => `${n} ${s}`)
        .join(", ")}; ${board.pinned} pinned), ${board.votes.toLocaleString("en-US")} votes, ` +
        `${board.openForViewer} in the viewer's open list; joins ${(joinMs / 1000).toFixed(1)} s, SQL ${(board.insertMs / 1000).toFixed(1)} s`,
    );

    const barePort = await freePort();
    bare = spawnChild("bare-qa", process.execPath, ["--import", "tsx", join(ROOT, "bench", "bare-qa.ts")], {
      ...process.env,
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(barePort),
      POOL_MAX: String(settings.poolMax),
      DATABASE_URL: url,
    });
    await waitForLine(bare, "bare-qa ready", 30_000);
    const bareUrl = `http://127.0.0.1:${barePort}`;

    const lists = await checkLists(podium.url, bareUrl, session.sessionId, viewer!, settings);
    const explain = await explainLists(db, session.sessionId, viewer!.id, settings);
    for (const e of explain) log(`    EXPLAIN ANALYZE ${e.label}: execution ${e.executionMs} ms`);
    const list: ListRun[] = [];
    const listRounds = settings.parts.includes("list") ? settings.listRounds : 0;
    for (let round = 1; round <= listRounds; round++) {
      for (const sort of settings.sorts) {
        const order: QaSystem[] = round % 2 ? ["baseline", "podium"] : ["podium", "baseline"];
        for (const system of order) {
          const server = system === "podium" ? podium.url : bareUrl;
          for (const paced of [false, true]) {
            const run = paced
              ? await pacedListRun(dir, server, lists[sort], system, sort, round, settings)
              : await listRun(server, lists[sort], system, sort, round, settings);
            log(
              `  list round ${round}/${settings.listRounds}, sort=${sort}, ${system}, ` +
                `${paced ? `${settings.pacedRate} req/s` : `${settings.connections} connections`}: ${Math.round(run.reqPerSec)} req/s, ` +
                `p50 ${run.p50Ms.toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms, max ${run.maxMs.toFixed(1)} ms, ` +
                `others' CPU ${run.othersCpu === undefined ? "?" : Math.round(run.othersCpu * 100)} %`,
            );
            list.push(run);
          }
        }
      }
    }
    await stopGracefully(bare, 20_000).then((stop) =>
      exits.push({ name: "bare-qa", code: stop.code, signal: stop.signal }),
    );
    bare = undefined;

    const ctx: Context = {
      settings,
      podiumUrl: podium.url,
      podium: podium.child,
      databaseUrl: url,
      db,
      voters,
      dir,
    };
    const bursts: BurstRound[] = [];
    let next = 0;
    const burstRounds = settings.parts.includes("burst") ? settings.burstRounds : 0;
    for (let round = 1; round <= burstRounds; round++) {
      const order: QaSystem[] = round % 2 ? ["baseline", "podium"] : ["podium", "baseline"];
      for (const system of order) {
        const r = await burst(system, round, ctx, empty[next++]!);
        log(
          `  burst round ${round}/${settings.burstRounds}, ${system}: ${r.result.statuses["200"] ?? 0} × 200, ` +
            `p50 ${ms(r.result.latency.p50Us)}, p99 ${ms(r.result.latency.p99Us)}, wall ${r.result.wallMs.toFixed(0)} ms; ` +
            `rows ${r.check.rows}${system === "podium" ? `, upvotes ${r.check.upvotes}` : ""}: ${r.exact ? "exact" : "NOT EXACT"}`,
        );
        bursts.push(r);
        await sleep(1_000);
      }
    }

    const sustained: SustainedRound[] = [];
    const plan = settings.sustained;
    const sustainedRounds = settings.parts.includes("sustained") ? settings.sustainedRounds : 0;
    for (let round = 1; round <= sustainedRounds; round++) {
      const order: QaSystem[] = round % 2 ? ["baseline", "podium"] : ["podium", "baseline"];
      for (const system of order) {
        const questions = empty.slice(next, next + plan.questions);
        const warmupQuestion = empty[next + plan.questions]!;
        next += plan.questions + 1;
        log(
          `  sustained round ${round}/${settings.sustainedRounds}, ${system}: ${plan.rate}/s for ${plan.durationS} s…`,
        );
        const r = await sustainedRun(system, round, ctx, questions, warmupQuestion);
        log(
          `    sent ${r.result.sentPerSec.toFixed(0)}/s, ${r.check.acknowledged} acknowledged, p50 ${ms(r.result.latency.p50Us)}, ` +
            `p99 ${ms(r.result.latency.p99Us)}, max ${ms(r.result.latency.maxUs)}; lost ${r.check.lost}, ` +
            `unexplained ${r.check.unexplained}: ${r.ok ? "ok" : "NOT OK"}`,
        );
        sustained.push(r);
        await sleep(1_000);
      }
    }

    if (target.kind === "url") await removeQaSeed(db, seeded.sessionId, seeded.hostUserId);
    await db.end();
    db = undefined;
    const stop = await stopGracefully(podium.child, 20_000);
    exits.push({ name: podium.child.name, code: stop.code, signal: stop.signal });
    for (const exit of exits)
      if (exit.code !== 0) log(`  ${exit.name} exited with ${exit.code ?? exit.signal} on SIGTERM`);
    return {
      settings,
      serverEnv: QA_SERVER_ENV,
      postgres,
      board,
      joined: voterCount + 1,
      joinMs,
      list,
      explain,
      bursts,
      sustained,
      cpuProfileDir: profileDir,
      exits,
    };
  } catch (error) {
    if (bare) await forceStop(bare);
    if (db) {
      if (target.kind === "url" && seeded)
        await removeQaSeed(db, seeded.sessionId, seeded.hostUserId).catch(() => undefined);
      await db.end().catch(() => undefined);
    }
    await forceStop(podium.child);
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
