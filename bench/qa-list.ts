/**
 * The list part of the Q&A benchmark (qa-bench.ts): one page per sort order checked on both servers, EXPLAIN
 * ANALYZE of the statement, and the autocannon runs.
 *
 * A page's items never change during the runs (no vote is cast meanwhile), but its `nextCursor` carries the
 * listing's time, so a response is compared with the checked page up to `"nextCursor"`. `trending` scores decay
 * with the time of the request, so two close questions may swap places between requests: its responses only need
 * to be 200 with a full page (a cursor), and how many equal the checked page is reported.
 */
import autocannon from "autocannon";
import type pg from "pg";
import { cpuSnapshot, othersShare } from "./cpu.js";
import type { QaSettings, QaSystem } from "./qa-bench.js";
import { listStatement, send, type JoinedAttendee, type ListSort } from "./qa-seed.js";
import { runClient } from "./qa-vote-runs.js";
import type { PacedResult } from "./qa-votes.js";

export interface ListTarget {
  path: string;
  headers: Record<QaSystem, Record<string, string>>;
  /** The checked page's bytes before `"nextCursor"`, per server. */
  prefix: Record<QaSystem, string>;
}

export interface ListRun {
  system: QaSystem;
  sort: ListSort;
  /** closed: autocannon, each connection sends as soon as it has its answer; paced: open loop at `rate` requests/s. */
  mode: "closed" | "paced";
  rate: number | null;
  round: number;
  reqPerSec: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Responses seen by the checker (autocannon's onResponse). */
  responses: number;
  non200: number;
  /** 200s without a next cursor (not a full page). */
  notFull: number;
  /** 200s whose items equal the checked page's. */
  identical: number;
  errors: number;
  timeouts: number;
  othersCpu: number | undefined;
}

export interface ExplainResult {
  label: string;
  planningMs: number;
  executionMs: number;
  plan: string;
}

const CURSOR = ',"nextCursor"';
const prefixOf = (body: string) => body.slice(0, body.lastIndexOf(CURSOR));

interface Item {
  id: string;
  pinned: boolean;
  upvotes: number;
  downvotes: number;
  score: number;
  mine: boolean;
  myVote: number;
  authorName: string | null;
}

/** Fetches each sort's first page from both servers; they must hold the same questions, tallies and viewer fields. */
export async function checkLists(
  podiumUrl: string,
  bareUrl: string,
  sessionId: string,
  viewer: JoinedAttendee,
  settings: QaSettings,
): Promise<Record<ListSort, ListTarget>> {
  const targets = {} as Record<ListSort, ListTarget>;
  for (const sort of settings.sorts) {
    const path = `/api/sessions/${sessionId}/questions?sort=${sort}&status=open&limit=${settings.limit}`;
    const headers = {
      podium: { authorization: `Bearer ${viewer.token}` },
      baseline: { "x-bench-attendee": viewer.id },
    };
    const podium = await send(`${podiumUrl}${path}`, "GET", headers.podium);
    const baseline = await send(`${bareUrl}${path}`, "GET", headers.baseline);
    for (const [who, answer] of [
      ["Podium", podium],
      ["baseline", baseline],
    ] as const)
      if (answer.status !== 200)
        throw new Error(`${who} sort=${sort}: ${answer.status} ${answer.body.slice(0, 300)}`);
    const ours = JSON.parse(podium.body) as { items: Item[]; nextCursor: string | null };
    const theirs = JSON.parse(baseline.body) as { items: Item[]; nextCursor: string | null };
    if (ours.items.length !== settings.limit || !ours.nextCursor || !theirs.nextCursor)
      throw new Error(`sort=${sort}: Podium returned ${ours.items.length} items (cursor ${ours.nextCursor})`);
    const key = (i: Item) =>
      [i.id, i.pinned, i.upvotes, i.downvotes, i.score, i.mine, i.myVote, i.authorName].join("|");
    if (ours.items.map(key).join("\n") !== theirs.items.map(key).join("\n"))
      throw new Error(`sort=${sort}: Podium and the baseline disagree on the page`);
    if (!ours.items.some((i) => i.myVote !== 0) || !ours.items.some((i) => i.pinned))
      throw new Error(`sort=${sort}: the page shows no vote of the viewer or no pinned question`);
    targets[sort] = {
      path,
      headers,
      prefix: { podium: prefixOf(podium.body), baseline: prefixOf(baseline.body) },
    };
  }
  return targets;
}

/** EXPLAIN (ANALYZE, BUFFERS) of the list statement for each sort (the second of two runs: caches warm). */
export async function explainLists(
  db: pg.Pool,
  sessionId: string,
  viewerId: string,
  settings: QaSettings,
): Promise<ExplainResult[]> {
  const results: ExplainResult[] = [];
  for (const sort of settings.sorts) {
    const { text, values } = listStatement(sort, sessionId, viewerId, settings.limit, new Date());
    let lines: string[] = [];
    for (let i = 0; i < 2; i++)
      lines = (
        await db.query<{ "QUERY PLAN": string }>(`explain (analyze, buffers) ${text}`, values)
      ).rows.map((row) => row["QUERY PLAN"]);
    const figure = (name: string) =>
      Number(lines.find((l) => l.startsWith(name))?.match(/([\d.]+) ms/)?.[1] ?? Number.NaN);
    results.push({
      label: `sort=${sort}`,
      planningMs: figure("Planning Time"),
      executionMs: figure("Execution Time"),
      plan: lines.join("\n"),
    });
  }
  return results;
}

function fire(url: string, target: ListTarget, system: QaSystem, connections: number, durationS: number) {
  let responses = 0;
  let non200 = 0;
  let notFull = 0;
  let identical = 0;
  const expected = target.prefix[system];
  return autocannon({
    url: `${url}${target.path}`,
    connections,
    duration: durationS,
    pipelining: 1,
    headers: target.headers[system],
    requests: [
      {
        method: "GET",
        onResponse: (status, body) => {
          responses++;
          if (status !== 200) non200++;
          else if (!body.includes(`${CURSOR}:"`)) notFull++;
          else if (prefixOf(body) === expected) identical++;
        },
      },
    ],
  }).then((result) => ({ result, responses, non200, notFull, identical }));
}

/** autocannon, closed loop: each connection sends its next request as soon as it has its answer. */
export async function listRun(
  url: string,
  target: ListTarget,
  system: QaSystem,
  sort: ListSort,
  round: number,
  settings: QaSettings,
): Promise<ListRun> {
  if (settings.warmupS > 0) await fire(url, target, system, settings.connections, settings.warmupS);
  const before = cpuSnapshot();
  const { result, responses, non200, notFull, identical } = await fire(
    url,
    target,
    system,
    settings.connections,
    settings.durationS,
  );
  return {
    system,
    sort,
    round,
    mode: "closed",
    rate: null,
    reqPerSec: result.requests.average,
    requests: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    responses,
    non200,
    notFull,
    identical,
    errors: result.errors,
    timeouts: result.timeouts,
    othersCpu: othersShare(before, cpuSnapshot()),
  };
}

/**
 * qa-client.ts (http-paced) in its own process, open loop: one request every 1 / rate s, on idle keep-alive
 * connections; latency from each request's due time, with microsecond resolution. (autocannon's `overallRate`
 * is not used: it lets every connection send its share at the start of each second, in bursts.)
 */
export async function pacedListRun(
  dir: string,
  url: string,
  target: ListTarget,
  system: QaSystem,
  sort: ListSort,
  round: number,
  settings: QaSettings,
): Promise<ListRun> {
  const before = cpuSnapshot();
  const result = (await runClient(dir, `paced-${sort}-${system}-${round}`, {
    kind: "http-paced",
    url,
    primePath: system === "podium" ? "/api/health/live" : "/",
    path: target.path,
    headers: target.headers[system],
    rate: settings.pacedRate,
    durationS: settings.durationS,
    connections: settings.pacedConnections,
    expectedPrefix: target.prefix[system],
  })) as PacedResult;
  const answered = Object.entries(result.statuses).reduce((n, [s, c]) => n + (s === "0" ? 0 : c), 0);
  return {
    system,
    sort,
    round,
    mode: "paced",
    rate: settings.pacedRate,
    reqPerSec: result.answeredPerSec,
    requests: result.scheduled,
    p50Ms: result.latency.p50Us / 1000,
    p99Ms: result.latency.p99Us / 1000,
    maxMs: result.latency.maxUs / 1000,
    responses: answered,
    non200: answered - (result.statuses["200"] ?? 0),
    notFull: result.notFull,
    identical: result.identical,
    errors: result.statuses["0"] ?? 0,
    timeouts: 0,
    othersCpu: othersShare(before, cpuSnapshot()),
  };
}

/** Problems that make a run's figures doubtful (trending's reordered pages are not: see the file's comment). */
export function listProblems(run: ListRun): string | undefined {
  const other = run.responses - run.non200 - run.notFull - run.identical;
  const problems = [
    run.non200 ? `${run.non200} non-200` : "",
    run.notFull ? `${run.notFull} without a full page` : "",
    run.sort !== "trending" && other > 0 ? `${other} pages other than the checked one` : "",
    run.errors ? `${run.errors} errors` : "",
    run.timeouts ? `${run.timeouts} timeouts` : "",
  ].filter(Boolean);
  return problems.length ? problems.join(", ") : undefined;
}
