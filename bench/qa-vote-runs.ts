/**
 * The vote measurements of the Q&A benchmark (qa-bench.ts): each runs qa-client.ts in its own process on a job
 * (qa-votes.ts), then checks the votes table, and for Podium the tallies once the recount has caught up.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { forceStop, spawnChild, stopGracefully, waitForLine, type Child } from "./children.js";
import { cpuSnapshot, othersShare } from "./cpu.js";
import { ROOT } from "./podium.js";
import type { QaSettings, QaSystem } from "./qa-bench.js";
import type { JoinedAttendee } from "./qa-seed.js";
import {
  expectedState,
  sustainedSchedule,
  type BurstResult,
  type ClientJob,
  type ClientResult,
  type SustainedResult,
} from "./qa-votes.js";

const CLIENT_MARKER = "qa-client done";

export interface BurstCheck {
  rows: number;
  plusOne: number;
  /** questions.upvotes / downvotes after the recount (Podium only). */
  upvotes: number | null;
  downvotes: number | null;
  /** From the client's exit to the tallies equal to the rows (Podium only; null: never within the deadline). */
  recountMs: number | null;
}

export interface BurstRound {
  system: QaSystem;
  round: number;
  result: BurstResult;
  check: BurstCheck;
  exact: boolean;
  othersCpu: number | undefined;
  /** CPU used by the Podium process and by its PostgreSQL during the run (both systems: the baseline uses the same database). */
  cpu: ServerCpu | null;
}

export interface SustainedCheck {
  acknowledged: number;
  refused: number;
  unanswered: number;
  /** Pairs whose last acknowledged vote is not what the table holds (a ±1 missing or different). */
  lost: number;
  /** Rows the acknowledged votes do not explain (a retracted vote still there, a row never acknowledged). */
  unexplained: number;
  uncertainPairs: number;
  /** Per question: the table's count, the question's tallies (Podium), what the acknowledged votes imply. */
  tallies: Array<{
    counted: { up: number; down: number };
    stored: { up: number; down: number } | null;
    expected: { up: number; down: number };
  }>;
  recountMs: number | null;
}

export interface SustainedRound {
  system: QaSystem;
  round: number;
  result: Omit<SustainedResult, "statuses">;
  check: SustainedCheck;
  ok: boolean;
  othersCpu: number | undefined;
  cpu: ServerCpu | null;
}

export interface ServerCpu {
  /** The Podium process alone (user and system time). */
  podiumUserMs: number;
  podiumSystemMs: number;
  /** The processes under it: the embedded PostgreSQL (null with DATABASE_URL, where it is not ours to see). */
  postgresMs: number | null;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU used so far by the Podium process and, separately, by its descendants (their reaped children included). */
async function serverCpu(pid: number): Promise<ServerCpu | null> {
  try {
    const procs = new Map<number, { ppid: number; user: number; system: number; reaped: number }>();
    for (const entry of await readdir("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = await readFile(`/proc/${entry}/stat`, "utf8");
        // After the name: state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17): index = field − 3.
        const f = stat
          .slice(stat.lastIndexOf(")") + 2)
          .split(" ")
          .map(Number);
        procs.set(Number(entry), { ppid: f[1]!, user: f[11]!, system: f[12]!, reaped: f[13]! + f[14]! });
      } catch {
        // exited meanwhile
      }
    }
    const root = procs.get(pid);
    if (!root) return null;
    let below = 0;
    let found = false;
    const stack = [...procs].filter(([, p]) => p.ppid === pid).map(([child]) => child);
    while (stack.length) {
      const child = stack.pop()!;
      const p = procs.get(child)!;
      found = true;
      below += p.user + p.system + p.reaped;
      for (const [grandchild, q] of procs) if (q.ppid === child) stack.push(grandchild);
    }
    return {
      podiumUserMs: root.user * TICK_MS,
      podiumSystemMs: root.system * TICK_MS,
      postgresMs: found ? below * TICK_MS : null,
    };
  } catch {
    return null;
  }
}

function cpuUsed(before: ServerCpu | null, after: ServerCpu | null): ServerCpu | null {
  if (!before || !after) return null;
  return {
    podiumUserMs: after.podiumUserMs - before.podiumUserMs,
    podiumSystemMs: after.podiumSystemMs - before.podiumSystemMs,
    postgresMs:
      before.postgresMs === null || after.postgresMs === null ? null : after.postgresMs - before.postgresMs,
  };
}

/** Runs one job in a qa-client.ts process of its own; its result. */
export async function runClient(dir: string, name: string, job: ClientJob): Promise<ClientResult> {
  const jobFile = join(dir, `${name}.job.json`);
  const resultFile = join(dir, `${name}.result.json`);
  await writeFile(jobFile, JSON.stringify(job));
  const child = spawnChild(
    `qa-client (${name})`,
    process.execPath,
    ["--import", "tsx", join(ROOT, "bench", "qa-client.ts"), jobFile, resultFile],
    process.env,
  );
  try {
    await waitForLine(child, CLIENT_MARKER, 300_000);
  } catch (error) {
    await forceStop(child);
    throw error;
  }
  const exit = await child.exit;
  if (exit.code !== 0)
    throw new Error(`${child.name} exited with ${exit.code ?? exit.signal}:\n${child.tail()}`);
  await stopGracefully(child, 1_000);
  return JSON.parse(await readFile(resultFile, "utf8")) as ClientResult;
}

/** Polls until the questions' tallies equal a count over their votes; ms it took, or null at the deadline. */
async function waitForRecount(
  db: pg.Pool,
  questionIds: string[],
  deadlineMs = 15_000,
): Promise<number | null> {
  const started = performance.now();
  while (performance.now() - started < deadlineMs) {
    const { rows } = await db.query<{ behind: number }>(
      `select count(*)::int as behind
       from questions q
       cross join lateral (
         select count(*) filter (where v.value = 1)::int as up, count(*) filter (where v.value = -1)::int as down
         from question_votes v where v.question_id = q.id) c
       where q.id = any($1::uuid[]) and (q.upvotes <> c.up or q.downvotes <> c.down)`,
      [questionIds],
    );
    if (rows[0]?.behind === 0) return performance.now() - started;
    await sleep(25);
  }
  return null;
}

export async function burst(
  system: QaSystem,
  round: number,
  ctx: Context,
  questionId: string,
): Promise<BurstRound> {
  const voters = ctx.voters.slice(0, ctx.settings.burstVotes);
  const job: ClientJob =
    system === "podium"
      ? {
          kind: "http-burst",
          url: ctx.podiumUrl,
          primePath: "/api/health/live",
          questionId,
          tokens: voters.map((v) => v.token),
        }
      : {
          kind: "pg-burst",
          databaseUrl: ctx.databaseUrl,
          poolMax: ctx.settings.poolMax,
          questionId,
          voterIds: voters.map((v) => v.id),
        };
  const cpuBefore = cpuSnapshot();
  const serverBefore = await serverCpu(ctx.podium.pid);
  const result = (await runClient(ctx.dir, `burst-${system}-${round}`, job)) as BurstResult;
  const serverAfter = await serverCpu(ctx.podium.pid);
  const othersCpu = othersShare(cpuBefore, cpuSnapshot());
  const recountMs = system === "podium" ? await waitForRecount(ctx.db, [questionId]) : null;
  const { rows } = await ctx.db.query<{ rows: number; plus: number; up: number; down: number }>(
    `select (select count(*) from question_votes where question_id = $1)::int as rows,
            (select count(*) from question_votes where question_id = $1 and value = 1)::int as plus,
            upvotes as up, downvotes as down
     from questions where id = $1`,
    [questionId],
  );
  const row = rows[0]!;
  const check: BurstCheck = {
    rows: row.rows,
    plusOne: row.plus,
    upvotes: system === "podium" ? row.up : null,
    downvotes: system === "podium" ? row.down : null,
    recountMs,
  };
  const n = ctx.settings.burstVotes;
  const exact =
    result.statuses["200"] === n &&
    result.wrongBodies === 0 &&
    check.rows === n &&
    check.plusOne === n &&
    (system === "baseline" || (check.upvotes === n && check.downvotes === 0));
  return { system, round, result, check, exact, othersCpu, cpu: cpuUsed(serverBefore, serverAfter) };
}

export async function sustainedRun(
  system: QaSystem,
  round: number,
  ctx: Context,
  questionIds: string[],
  warmupQuestionId: string,
): Promise<SustainedRound> {
  const plan = ctx.settings.sustained;
  const voters = ctx.voters.slice(0, plan.voters);
  const warmup =
    ctx.settings.sustainedWarmupS > 0
      ? { questionId: warmupQuestionId, durationS: ctx.settings.sustainedWarmupS }
      : undefined;
  const job: ClientJob =
    system === "podium"
      ? {
          kind: "http-sustained",
          url: ctx.podiumUrl,
          primePath: "/api/health/live",
          plan,
          questionIds,
          warmup,
          tokens: voters.map((v) => v.token),
          connections: ctx.settings.sustainedConnections,
        }
      : {
          kind: "pg-sustained",
          databaseUrl: ctx.databaseUrl,
          poolMax: ctx.settings.poolMax,
          plan,
          questionIds,
          warmup,
          voterIds: voters.map((v) => v.id),
        };
  const cpuBefore = cpuSnapshot();
  const serverBefore = await serverCpu(ctx.podium.pid);
  const result = (await runClient(ctx.dir, `sustained-${system}-${round}`, job)) as SustainedResult;
  const serverAfter = await serverCpu(ctx.podium.pid);
  const othersCpu = othersShare(cpuBefore, cpuSnapshot());
  const recountMs = system === "podium" ? await waitForRecount(ctx.db, questionIds) : null;

  const slots = sustainedSchedule(plan);
  const expected = expectedState(plan, slots, result.statuses);
  const questionIndex = new Map(questionIds.map((id, i) => [id, i]));
  const voterIndex = new Map(voters.map((v, i) => [v.id, i]));
  const { rows } = await ctx.db.query<{ question_id: string; voter_id: string; value: number }>(
    `select question_id, voter_id, value from question_votes where question_id = any($1::uuid[])`,
    [questionIds],
  );
  const table = new Map<string, number>();
  let unexplained = 0;
  for (const row of rows) {
    const q = questionIndex.get(row.question_id);
    const v = voterIndex.get(row.voter_id);
    if (q === undefined || v === undefined) unexplained++;
    else table.set(`${q}:${v}`, row.value);
  }
  let lost = 0;
  for (const [key, value] of expected.rows) {
    const possible = expected.uncertain.get(key);
    const actual = table.get(key) ?? 0;
    if (possible) {
      if (!possible.includes(actual as -1 | 0 | 1)) lost++;
    } else if (value !== actual) {
      if (value === 0) unexplained++;
      else lost++;
    }
  }
  for (const key of table.keys()) if (!expected.rows.has(key) && !expected.uncertain.has(key)) unexplained++;
  const stored = await ctx.db.query<{ id: string; up: number; down: number; cup: number; cdown: number }>(
    `select q.id, q.upvotes as up, q.downvotes as down,
            (select count(*) from question_votes v where v.question_id = q.id and v.value = 1)::int as cup,
            (select count(*) from question_votes v where v.question_id = q.id and v.value = -1)::int as cdown
     from questions q where q.id = any($1::uuid[])`,
    [questionIds],
  );
  const byId = new Map(stored.rows.map((r) => [r.id, r]));
  const tallies = questionIds.map((id, i) => {
    const r = byId.get(id)!;
    return {
      counted: { up: r.cup, down: r.cdown },
      stored: system === "podium" ? { up: r.up, down: r.down } : null,
      expected: expected.tallies[i]!,
    };
  });
  const count = (predicate: (status: number) => boolean) => result.statuses.filter(predicate).length;
  const check: SustainedCheck = {
    acknowledged: count((s) => s === 200),
    refused: count((s) => s !== 200 && s !== 0 && s < 500),
    unanswered: count((s) => s === 0 || s >= 500),
    lost,
    unexplained,
    uncertainPairs: expected.uncertain.size,
    tallies,
    recountMs,
  };
  const talliesOk = tallies.every(
    (t) =>
      (t.stored === null || (t.stored.up === t.counted.up && t.stored.down === t.counted.down)) &&
      (expected.uncertain.size > 0 || (t.expected.up === t.counted.up && t.expected.down === t.counted.down)),
  );
  const ok =
    check.acknowledged === result.scheduled &&
    lost === 0 &&
    unexplained === 0 &&
    result.overlaps === 0 &&
    talliesOk;
  const { statuses: _statuses, ...summary } = result;
  return { system, round, result: summary, check, ok, othersCpu, cpu: cpuUsed(serverBefore, serverAfter) };
}

export interface Context {
  settings: QaSettings;
  podiumUrl: string;
  podium: Child;
  databaseUrl: string;
  db: pg.Pool;
  voters: JoinedAttendee[];
  dir: string;
}
