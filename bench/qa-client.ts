/**
 * The Q&A vote client, in its own process (the server under test, or the database, never shares an event loop
 * with it): `node --import tsx bench/qa-client.ts <job.json> <result.json>` runs one ClientJob (qa-votes.ts),
 * writes its ClientResult to result.json and prints one `qa-client done` line; exits 1 with a message on failure.
 *
 * - http-burst: one keep-alive connection per vote, each primed with one GET (so the server has accepted all
 *   of them), then every `POST /api/questions/:id/vote {"value":1}` written in one synchronous loop from prebuilt
 *   buffers (each with its attendee's token); latency = write → last byte of the answer.
 * - pg-burst: a `pg` Pool (its connections opened first), every upsert called in one loop; latency = call →
 *   result, and the statement's own time = connection acquired → result.
 * - http-sustained / pg-sustained: open loop, slot i due at start + i / rate whatever the answers; latency counts
 *   from the due time. HTTP sends take an idle keep-alive connection, or open a new one when all are busy.
 * - http-paced: the same open loop for one GET (the questions list) at a steady rate.
 */
import { readFile, writeFile } from "node:fs/promises";
import pg from "pg";
import { getRequest, KeepAliveConnection, type Exchange } from "./keepalive-client.js";
import {
  DELETE_VOTE,
  spread,
  sustainedSchedule,
  UPSERT_VOTE,
  type BurstResult,
  type ClientJob,
  type ClientResult,
  type PacedResult,
  type SustainedResult,
  type VoteValue,
} from "./qa-votes.js";

const MARKER = "qa-client done";
const CONNECT_BATCH = 100;
/** Sustained: the schedule starts this long after everything is ready. */
const LEAD_MS = 200;

const now = () => performance.now();
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

function voteRequest(base: URL, questionId: string, token: string, value: VoteValue): Buffer {
  const body = JSON.stringify({ value });
  const head = [
    `POST /api/questions/${questionId}/vote HTTP/1.1`,
    `host: ${base.host}`,
    `authorization: Bearer ${token}`,
    "content-type: application/json",
    `content-length: ${Buffer.byteLength(body)}`,
  ].join("\r\n");
  return Buffer.from(`${head}\r\n\r\n${body}`, "latin1");
}

async function openPrimed(base: URL, primePath: string, count: number): Promise<KeepAliveConnection[]> {
  const connections: KeepAliveConnection[] = [];
  const prime = getRequest(base, primePath);
  for (let i = 0; i < count; i += CONNECT_BATCH) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(CONNECT_BATCH, count - i) }, () => KeepAliveConnection.open(base)),
    );
    const primed = await Promise.all(batch.map((c) => c.send(prime)));
    const refused = primed.find((exchange) => exchange.status !== 200);
    if (refused) throw new Error(`priming GET ${primePath} answered ${refused.status}: ${refused.body}`);
    connections.push(...batch);
  }
  return connections;
}

function vote(value: VoteValue, questionId: string, voterId: string): [string, unknown[]] {
  return value === 0
    ? [DELETE_VOTE, [questionId, voterId]]
    : [UPSERT_VOTE, [questionId, voterId, voterId, value, value, new Date()]];
}

async function warmPool(databaseUrl: string, poolMax: number): Promise<pg.Pool> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: poolMax,
    connectionTimeoutMillis: 3_000,
    statement_timeout: 5_000,
    idleTimeoutMillis: 0,
    application_name: "qa-client",
  });
  pool.on("error", () => undefined);
  const clients = await Promise.all(Array.from({ length: poolMax }, () => pool.connect()));
  await Promise.all(clients.map((c) => c.query("select 1")));
  for (const c of clients) c.release();
  return pool;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

function keepErrors(errors: string[], message: string): void {
  if (errors.length < 10 && !errors.includes(message)) errors.push(message);
}

async function httpBurst(job: Extract<ClientJob, { kind: "http-burst" }>): Promise<BurstResult> {
  const base = new URL(job.url);
  const count = job.tokens.length;
  const connections = await openPrimed(base, job.primePath, count);
  const requests = job.tokens.map((token) => voteRequest(base, job.questionId, token, 1));
  await new Promise((resolve) => setTimeout(resolve, 200)); // the server settles after priming

  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const pending = new Array<Promise<Exchange | Error>>(count);
  for (let i = 0; i < count; i++)
    pending[i] = connections[i]!.send(requests[i]!).catch((error: unknown) => new Error(describe(error)));
  const fired = process.hrtime.bigint();
  const answers = await Promise.all(pending);
  const done = process.hrtime.bigint();
  const clientCpuMs = cpuMs(cpu);
  for (const connection of connections) connection.close();

  const statuses: Record<string, number> = {};
  const errors: string[] = [];
  const latencies: number[] = [];
  let wrongBodies = 0;
  for (const answer of answers) {
    if (answer instanceof Error) {
      statuses["0"] = (statuses["0"] ?? 0) + 1;
      keepErrors(errors, answer.message);
      continue;
    }
    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    latencies.push(Number(answer.elapsedNs) / 1000);
    if (answer.status === 200) {
      const body = JSON.parse(answer.body) as { questionId?: unknown; myVote?: unknown };
      if (body.questionId !== job.questionId || body.myVote !== 1) wrongBodies++;
    } else keepErrors(errors, `${answer.status} ${answer.body.slice(0, 200)}`);
  }
  return {
    kind: "http-burst",
    count,
    statuses,
    wrongBodies,
    errors,
    latency: spread(latencies),
    wallMs: Number(done - started) / 1e6,
    fireSpanMs: Number(fired - started) / 1e6,
    clientCpuMs,
  };
}

async function pgBurst(job: Extract<ClientJob, { kind: "pg-burst" }>): Promise<BurstResult> {
  const pool = await warmPool(job.databaseUrl, job.poolMax);
  const count = job.voterIds.length;
  const latencies: number[] = [];
  const statements: number[] = [];
  const statuses: Record<string, number> = {};
  const errors: string[] = [];
  const one = async (voterId: string) => {
    const called = now();
    try {
      const client = await pool.connect();
      const acquired = now();
      try {
        const [sql, params] = vote(1, job.questionId, voterId);
        await client.query(sql, params);
      } finally {
        client.release();
      }
      const answered = now();
      latencies.push((answered - called) * 1000);
      statements.push((answered - acquired) * 1000);
      statuses["200"] = (statuses["200"] ?? 0) + 1;
    } catch (error) {
      statuses["0"] = (statuses["0"] ?? 0) + 1;
      keepErrors(errors, describe(error));
    }
  };
  const cpu = process.cpuUsage();
  const started = now();
  const pending = job.voterIds.map(one);
  const fired = now();
  await Promise.all(pending);
  const done = now();
  const clientCpuMs = cpuMs(cpu);
  await pool.end();
  return {
    kind: "pg-burst",
    count,
    statuses,
    wrongBodies: 0,
    errors,
    latency: spread(latencies),
    statement: spread(statements),
    wallMs: done - started,
    fireSpanMs: fired - started,
    clientCpuMs,
  };
}

interface Sender {
  /** Sends request `i`; resolves once answered with its status (0: no answer), body, send time and service time. */
  send(i: number): Promise<{ status: number; body: string; sentAt: number; serviceUs: number }>;
  connectionsOpened(): number;
  close(): Promise<void>;
}

/** Prebuilt requests on keep-alive connections: an idle one, or a new one when all are busy. */
async function httpSender(url: string, primePath: string, connections: number, requests: Buffer[]) {
  const base = new URL(url);
  const idle = await openPrimed(base, primePath, connections);
  const all = [...idle];
  let opened = 0;
  const errors: string[] = [];
  const sender: Sender = {
    async send(i) {
      let connection = idle.pop();
      if (!connection) {
        opened++;
        connection = await KeepAliveConnection.open(base);
        all.push(connection);
      }
      const sentAt = now();
      try {
        const answer = await connection.send(requests[i]!);
        idle.push(connection);
        if (answer.status !== 200) keepErrors(errors, `${answer.status} ${answer.body.slice(0, 200)}`);
        return {
          status: answer.status,
          body: answer.body,
          sentAt,
          serviceUs: Number(answer.elapsedNs) / 1000,
        };
      } catch (error) {
        keepErrors(errors, describe(error));
        connection.close();
        return { status: 0, body: "", sentAt, serviceUs: (now() - sentAt) * 1000 };
      }
    },
    connectionsOpened: () => opened,
    async close() {
      for (const connection of all) connection.close();
    },
  };
  return { sender, errors, atStart: connections };
}

/** One vote to send: on which question, by which voter (index), which value. */
interface Send {
  questionId: string;
  voter: number;
  value: VoteValue;
}

async function pgSender(job: Extract<ClientJob, { kind: "pg-sustained" }>, sends: Send[]) {
  const pool = await warmPool(job.databaseUrl, job.poolMax);
  const errors: string[] = [];
  const sender: Sender = {
    async send(i) {
      const send = sends[i]!;
      const sentAt = now();
      try {
        const client = await pool.connect();
        const acquired = now();
        try {
          const [sql, params] = vote(send.value, send.questionId, job.voterIds[send.voter]!);
          await client.query(sql, params);
        } finally {
          client.release();
        }
        return { status: 200, body: "", sentAt, serviceUs: (now() - acquired) * 1000 };
      } catch (error) {
        keepErrors(errors, describe(error));
        return { status: 0, body: "", sentAt, serviceUs: (now() - sentAt) * 1000 };
      }
    },
    connectionsOpened: () => 0,
    close: () => pool.end(),
  };
  return { sender, errors, atStart: job.poolMax };
}

interface OpenLoopRun {
  statuses: number[];
  /** Due time → answer, send → answer (service), send − due (lag), per request, µs. */
  latencies: number[];
  services: number[];
  lags: number[];
  /** Sends of a key (`keyOf`) while its previous send was unanswered. */
  overlaps: number;
  sentPerSec: number;
  answeredPerSec: number;
  wallMs: number;
  clientCpuMs: number;
}

/**
 * Open loop: request i is due at start + i / rate whatever the answers (a timer catches up on due sends);
 * `onAnswer` sees every answer.
 */
async function openLoop(
  total: number,
  rate: number,
  sender: Sender,
  keyOf: (i: number) => string | undefined,
  onAnswer: (i: number, status: number, body: string) => void = () => undefined,
  /** The sender's index of request 0 (requests before it were a warm-up). */
  offset = 0,
): Promise<OpenLoopRun> {
  const intervalMs = 1000 / rate;
  const run: OpenLoopRun = {
    statuses: new Array<number>(total).fill(0),
    latencies: new Array<number>(total),
    services: new Array<number>(total),
    lags: new Array<number>(total),
    overlaps: 0,
    sentPerSec: Number.NaN,
    answeredPerSec: Number.NaN,
    wallMs: Number.NaN,
    clientCpuMs: Number.NaN,
  };
  const inFlight = new Set<string>();
  let firstSent = Number.NaN;
  let lastSent = Number.NaN;
  let lastAnswer = Number.NaN;
  const answers: Array<Promise<void>> = [];
  const cpu = process.cpuUsage();
  const start = now() + LEAD_MS;
  const fire = (i: number) => {
    const due = start + i * intervalMs;
    const key = keyOf(i);
    if (key !== undefined) {
      if (inFlight.has(key)) run.overlaps++;
      inFlight.add(key);
    }
    answers.push(
      sender.send(offset + i).then(({ status, body, sentAt, serviceUs }) => {
        const answered = now();
        if (key !== undefined) inFlight.delete(key);
        run.statuses[i] = status;
        run.latencies[i] = (answered - due) * 1000;
        run.services[i] = serviceUs;
        run.lags[i] = (sentAt - due) * 1000;
        onAnswer(i, status, body);
        if (Number.isNaN(firstSent) || sentAt < firstSent) firstSent = sentAt;
        if (Number.isNaN(lastSent) || sentAt > lastSent) lastSent = sentAt;
        if (Number.isNaN(lastAnswer) || answered > lastAnswer) lastAnswer = answered;
      }),
    );
  };
  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = () => {
      const t = now();
      while (next < total && start + next * intervalMs <= t) fire(next++);
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, start + next * intervalMs - now()));
    };
    setTimeout(tick, LEAD_MS);
  });
  await Promise.all(answers);
  run.clientCpuMs = cpuMs(cpu);
  const span = (lastSent - firstSent) / 1000;
  run.sentPerSec = span > 0 ? (total - 1) / span : Number.NaN;
  run.answeredPerSec = total / ((lastAnswer - firstSent) / 1000);
  run.wallMs = lastAnswer - start;
  return run;
}

async function sustained(
  job: Extract<ClientJob, { kind: "http-sustained" | "pg-sustained" }>,
): Promise<SustainedResult> {
  const slots = sustainedSchedule(job.plan);
  // The warm-up: the same rate on a question of its own, right before on the same connections, not measured.
  const warmup = job.warmup
    ? sustainedSchedule({ ...job.plan, durationS: job.warmup.durationS, questions: 1 }).map((slot) => ({
        questionId: job.warmup!.questionId,
        voter: slot.voter,
        value: slot.value,
      }))
    : [];
  const base = new URL(job.kind === "http-sustained" ? job.url : "http://127.0.0.1/");
  const sends: Send[] = [
    ...warmup,
    ...slots.map((slot) => ({
      questionId: job.questionIds[slot.question]!,
      voter: slot.voter,
      value: slot.value,
    })),
  ];
  const { sender, errors, atStart } =
    job.kind === "http-sustained"
      ? await httpSender(
          job.url,
          job.primePath,
          job.connections,
          sends.map((send) => voteRequest(base, send.questionId, job.tokens[send.voter]!, send.value)),
        )
      : await pgSender(job, sends);
  if (warmup.length) await openLoop(warmup.length, job.plan.rate, sender, () => undefined);
  const total = slots.length;
  const run = await openLoop(
    total,
    job.plan.rate,
    sender,
    (i) => `${slots[i]!.question}:${slots[i]!.voter}`,
    undefined,
    warmup.length,
  );
  await sender.close();
  return {
    kind: job.kind,
    scheduled: total,
    warmupVotes: warmup.length,
    statuses: run.statuses,
    errors,
    latency: spread(run.latencies),
    service: spread(run.services),
    sendLag: spread(run.lags),
    perSecond: Array.from({ length: Math.ceil(total / job.plan.rate) }, (_, second) =>
      spread(run.latencies.slice(second * job.plan.rate, (second + 1) * job.plan.rate)),
    ),
    sentPerSec: run.sentPerSec,
    answeredPerSec: run.answeredPerSec,
    wallMs: run.wallMs,
    overlaps: run.overlaps,
    connectionsAtStart: atStart,
    connectionsOpened: sender.connectionsOpened(),
    clientCpuMs: run.clientCpuMs,
  };
}

const CURSOR = ',"nextCursor"';

/** A page list at a steady rate: every response 200 with a full page, compared with the checked one. */
async function paced(job: Extract<ClientJob, { kind: "http-paced" }>): Promise<PacedResult> {
  const base = new URL(job.url);
  const total = Math.round(job.rate * job.durationS);
  const request = getRequest(base, job.path, job.headers);
  const { sender, errors, atStart } = await httpSender(
    job.url,
    job.primePath,
    job.connections,
    new Array<Buffer>(total).fill(request),
  );
  const statuses: Record<string, number> = {};
  let notFull = 0;
  let identical = 0;
  const run = await openLoop(
    total,
    job.rate,
    sender,
    () => undefined,
    (_i, status, body) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status !== 200) return;
      const at = body.lastIndexOf(CURSOR);
      if (at < 0 || !body.startsWith(`${CURSOR}:"`, at)) notFull++;
      else if (body.slice(0, at) === job.expectedPrefix) identical++;
    },
  );
  await sender.close();
  return {
    kind: "http-paced",
    scheduled: total,
    statuses,
    notFull,
    identical,
    errors,
    latency: spread(run.latencies),
    service: spread(run.services),
    sendLag: spread(run.lags),
    sentPerSec: run.sentPerSec,
    answeredPerSec: run.answeredPerSec,
    connectionsAtStart: atStart,
    connectionsOpened: sender.connectionsOpened(),
    clientCpuMs: run.clientCpuMs,
  };
}

async function main(): Promise<void> {
  const [jobFile, resultFile] = process.argv.slice(2);
  if (!jobFile || !resultFile) throw new Error("usage: qa-client.ts <job.json> <result.json>");
  const job = JSON.parse(await readFile(jobFile, "utf8")) as ClientJob;
  let result: ClientResult;
  if (job.kind === "http-burst") result = await httpBurst(job);
  else if (job.kind === "pg-burst") result = await pgBurst(job);
  else if (job.kind === "http-paced") result = await paced(job);
  else result = await sustained(job);
  await writeFile(resultFile, JSON.stringify(result));
  console.log(`${MARKER} ${job.kind}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error("qa-client failed:", error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
