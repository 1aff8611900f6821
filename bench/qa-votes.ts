/**
 * What the Q&A vote measurements share between the orchestrator (qa-bench.ts) and the client process
 * (qa-client.ts): the jobs and their results, the sustained schedule, the baseline's statements, and the state the
 * votes table must be in afterwards.
 */

/** The statements Podium's castVote issues (drizzle's SQL, snake_case columns): ±1 upserts, 0 deletes. */
export const UPSERT_VOTE =
  'insert into "question_votes" ("question_id", "voter_id", "attendee_id", "user_id", "value", "created_at", "updated_at") ' +
  "values ($1, $2, $3, default, $4, default, default) " +
  'on conflict ("question_id","voter_id") do update set "value" = $5, "updated_at" = $6 ' +
  'where "question_votes"."value" <> excluded.value';
export const DELETE_VOTE =
  'delete from "question_votes" where ("question_votes"."question_id" = $1 and "question_votes"."voter_id" = $2)';

export type VoteValue = -1 | 0 | 1;

export interface SustainedPlan {
  /** Votes per second, and for how long. */
  rate: number;
  durationS: number;
  /** Voters (attendees) and questions; every (voter, question) pair is voted on in turn. */
  voters: number;
  questions: number;
}

export type ClientJob =
  | { kind: "http-burst"; url: string; primePath: string; questionId: string; tokens: string[] }
  | { kind: "pg-burst"; databaseUrl: string; poolMax: number; questionId: string; voterIds: string[] }
  | {
      kind: "http-sustained";
      url: string;
      primePath: string;
      plan: SustainedPlan;
      questionIds: string[];
      /** Votes at the same rate on this question for this long first, on the same connections, not measured. */
      warmup?: { questionId: string; durationS: number };
      tokens: string[];
      /** Keep-alive connections opened (and primed) before the first send; more are opened when all are busy. */
      connections: number;
    }
  | {
      kind: "pg-sustained";
      databaseUrl: string;
      poolMax: number;
      plan: SustainedPlan;
      questionIds: string[];
      /** Votes at the same rate on this question for this long first, on the same connections, not measured. */
      warmup?: { questionId: string; durationS: number };
      voterIds: string[];
    }
  | {
      kind: "http-paced";
      url: string;
      primePath: string;
      path: string;
      headers: Record<string, string>;
      rate: number;
      durationS: number;
      connections: number;
      /** The checked page up to `,"nextCursor"`. */
      expectedPrefix: string;
    };

/** Percentiles in microseconds. */
export interface Spread {
  count: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
}

export interface BurstResult {
  kind: "http-burst" | "pg-burst";
  count: number;
  /** HTTP status (pg: 200 for a statement that succeeded, 0 for one that failed) → requests. */
  statuses: Record<string, number>;
  /** Answers whose body was not `{questionId, myVote: 1}` for the right question (HTTP only). */
  wrongBodies: number;
  errors: string[];
  /** Request written (pg: query called) → answer complete. */
  latency: Spread;
  /** pg only: connection acquired → result (the statement's own time, without the pool's queue). */
  statement?: Spread;
  /** First send → last answer. */
  wallMs: number;
  /** First send → last send returned. */
  fireSpanMs: number;
  clientCpuMs: number;
}

export interface SustainedResult {
  kind: "http-sustained" | "pg-sustained";
  scheduled: number;
  /** Sent before the measured schedule (warm-up, on a question of its own). */
  warmupVotes: number;
  /** Per slot: HTTP status (pg: 200 when the statement succeeded), 0 when it failed without an answer. */
  statuses: number[];
  errors: string[];
  /** Scheduled time → answer (open loop: a late send counts against the answer). */
  latency: Spread;
  /** Send → answer (HTTP: written → last byte; pg: connection acquired → result). */
  service: Spread;
  /** Actual send − scheduled time. */
  sendLag: Spread;
  /** The latency of the votes due in each second of the schedule. */
  perSecond: Spread[];
  /** Sends per second over the schedule's span, answers per second from the first send to the last answer. */
  sentPerSec: number;
  answeredPerSec: number;
  wallMs: number;
  /** Sends of a pair while its previous send was still unanswered (the schedule keeps them 16 s apart). */
  overlaps: number;
  /** HTTP: connections open at the start, and those opened during the run because all were busy. */
  connectionsAtStart: number;
  connectionsOpened: number;
  clientCpuMs: number;
}

export interface PacedResult {
  kind: "http-paced";
  scheduled: number;
  /** HTTP status (0: no answer) → responses. */
  statuses: Record<string, number>;
  /** 200s without a next cursor, and 200s equal to the checked page up to it. */
  notFull: number;
  identical: number;
  errors: string[];
  latency: Spread;
  service: Spread;
  sendLag: Spread;
  sentPerSec: number;
  answeredPerSec: number;
  connectionsAtStart: number;
  connectionsOpened: number;
  clientCpuMs: number;
}

export type ClientResult = BurstResult | SustainedResult | PacedResult;

/** A 32-bit integer mix (for reproducible pseudo-random choices). */
function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x165667b1, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export interface SlotVote {
  voter: number;
  question: number;
  value: VoteValue;
}

/**
 * The sustained schedule: slot i (sent at i / rate seconds) votes on pair (i · stride) mod pairs, so each pass
 * over the pairs visits every pair once, consecutive slots hit other voters and questions, and a pair comes
 * back only a whole pass later (pairs / rate seconds). First pass: +1 (one pair in seven −1), inserting every
 * row; later passes: 0 (retract, a delete) 40 %, +1 45 %, −1 15 %, so most rows change or go.
 */
export function sustainedSchedule(plan: SustainedPlan): SlotVote[] {
  const pairs = plan.voters * plan.questions;
  const total = Math.round(plan.rate * plan.durationS);
  let stride = Math.floor(pairs * 0.381966);
  while (gcd(stride, pairs) !== 1) stride++;
  const slots: SlotVote[] = new Array<SlotVote>(total);
  for (let i = 0; i < total; i++) {
    const pass = Math.floor(i / pairs);
    const pair = (i * stride) % pairs;
    const roll = mix(pair, pass) % 100;
    const value: VoteValue = pass === 0 ? (roll < 15 ? -1 : 1) : roll < 40 ? 0 : roll < 85 ? 1 : -1;
    slots[i] = { voter: pair % plan.voters, question: Math.floor(pair / plan.voters), value };
  }
  return slots;
}

/** Smallest gap, in slots, between two votes of one pair (a pass). */
export function pairGap(plan: SustainedPlan): number {
  return plan.voters * plan.questions;
}

export interface ExpectedState {
  /** "question index:voter index" → value of the last acknowledged vote (0: no row). */
  rows: Map<string, VoteValue>;
  /** Pairs whose last send got no answer or an error: their row may hold either value. */
  uncertain: Map<string, VoteValue[]>;
  /** Per question index: up and down from the acknowledged votes. */
  tallies: Array<{ up: number; down: number }>;
}

/** The votes table as the acknowledged sends leave it (sends of one pair never overlap: see SustainedResult). */
export function expectedState(plan: SustainedPlan, slots: SlotVote[], statuses: number[]): ExpectedState {
  const rows = new Map<string, VoteValue>();
  const uncertain = new Map<string, VoteValue[]>();
  slots.forEach((slot, i) => {
    const key = `${slot.question}:${slot.voter}`;
    if (statuses[i] === 200) {
      rows.set(key, slot.value);
      uncertain.delete(key);
    } else if (statuses[i] === 0 || (statuses[i] ?? 0) >= 500) {
      // No answer, or the server failed: committed or not, nobody was told.
      uncertain.set(key, [...(uncertain.get(key) ?? [rows.get(key) ?? 0]), slot.value]);
    }
  });
  const tallies = Array.from({ length: plan.questions }, () => ({ up: 0, down: 0 }));
  for (const [key, value] of rows) {
    if (uncertain.has(key)) continue;
    const question = Number(key.split(":")[0]);
    if (value === 1) tallies[question]!.up++;
    if (value === -1) tallies[question]!.down++;
  }
  return { rows, uncertain, tallies };
}

export function spread(valuesUs: number[]): Spread {
  const sorted = Float64Array.from(valuesUs).sort();
  const at = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
  return {
    count: sorted.length,
    p50Us: at(0.5),
    p90Us: at(0.9),
    p99Us: at(0.99),
    maxUs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}
