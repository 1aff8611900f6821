/**
 * The real-time benchmark's clients, in their own process (the servers under test never share an event loop
 * with them): socket.io-client sockets (`forceNew`, websocket transport, no reconnection) in named groups, and
 * the REST calls that trigger a broadcast (realtime-triggers.ts), sent from this same process so that send and
 * receipt are read on one monotonic clock (`performance.now()`).
 *
 *   node --import tsx bench/realtime-client.ts
 *
 * Driven by realtime-bench.ts over a small HTTP control server on 127.0.0.1 (it prints
 * `realtime-client ready {"port":…}`): POST /connect, /burst, /close, /exit with JSON bodies (the types below).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { io, type Socket } from "socket.io-client";
import { MEASURED_EVENTS, triggerOf, type TriggerSpec } from "./realtime-triggers.js";

export type { TriggerSpec } from "./realtime-triggers.js";

const MARKER = "realtime-client ready";
const CONNECT_CONCURRENCY = 50;
const CONNECT_TIMEOUT_MS = 30_000;
/** After the last send, how long missing receipts are waited for before they count as missing. */
const DRAIN_MS = 3_000;

/**
 * A diagnostic run (BENCH_RT_TRACE_DIR, see realtime-trace-probe.mjs): each change's send and first receipt on the
 * probe's clock (`process.hrtime`, CLOCK_MONOTONIC µs), written at exit to `<dir>/client-<pid>.json` so that
 * realtime-trace-report.ts can place them around the servers' marks. `performance.now()` reads the same clock from
 * another origin; its first call loads perf_hooks (about 1.6 ms here), so it is made before the offset is taken.
 */
const traceDir = process.env.BENCH_RT_TRACE_DIR || undefined;
performance.now();
const clockOffsetUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
const monotonicUs = (at: number) => Math.round(at * 1000 + clockOffsetUs);
const tracedChanges: Array<[sent: number, firstReceipt: number]> = [];
if (traceDir) {
  process.once("exit", () => {
    mkdirSync(traceDir, { recursive: true });
    writeFileSync(join(traceDir, `client-${process.pid}.json`), JSON.stringify({ changes: tracedChanges }));
  });
}

export interface ConnectCommand {
  group: string;
  /** Sockets go to these servers in turn (2 instances: half each). */
  urls: string[];
  sessionId: string;
  /** One socket per token; null: no token (the raw server needs none). */
  tokens: Array<string | null>;
}

export interface ConnectResult {
  connected: number;
  failed: number;
  /** connect_error message (or "timeout") → count. */
  errors: Record<string, number>;
  ms: number;
}

export interface BurstCommand {
  group: string;
  trigger: TriggerSpec;
  messages: number;
  hz: number;
  /** Distinguishes this burst's messages from any other's. */
  tag: string;
}

export interface BurstResult {
  sockets: number;
  sent: number;
  /** Trigger answers by HTTP status ("error" when the request failed). */
  statuses: Record<string, number>;
  /** send → receipt, µs, every receipt, by the server instance its socket is on (the connect command's urls). */
  latenciesUs: number[][];
  /** Per message: the first receipt's latency and the spread between first and last receipt, µs. */
  firstUs: number[];
  spreadUs: number[];
  /** Trigger send → its HTTP answer, µs. */
  triggerUs: number[];
  expected: number;
  missing: number;
  duplicates: number;
  /** Receipts of a message of this burst that was never sent, or sockets that dropped during the burst. */
  strays: number;
  disconnects: number;
  /** Size of the event's payload as JSON (the first receipt's). */
  payloadBytes: number;
  /** Actual send interval (first send → last send) ÷ intended. */
  pacing: number;
  /** This process's CPU time from the first send to the end of the drain, and that interval. */
  cpuMs: number;
  wallMs: number;
}

interface Member {
  socket: Socket;
  index: number;
  /** Which of the connect command's urls (server instance) the socket is on. */
  instance: number;
  connected: boolean;
}

interface ActiveBurst {
  tag: string;
  event: string;
  seqOf: (payload: unknown) => number | undefined;
  sentAt: Float64Array;
  /** [message × sockets]: receipt time, or NaN. */
  receivedAt: Float64Array;
  sockets: number;
  received: number;
  duplicates: number;
  strays: number;
  disconnects: number;
  payloadBytes: number;
}

/** `gc` when started with --expose-gc (startClient does). */
const collectGarbage = (globalThis as { gc?: () => void }).gc;

const groups = new Map<string, Member[]>();
let active: ActiveBurst | undefined;

function onMessage(member: Member, event: string, payload: unknown): void {
  const at = performance.now();
  const burst = active;
  if (!burst || burst.event !== event) return;
  const seq = burst.seqOf(payload);
  if (seq === undefined) return;
  if (!(seq >= 0 && seq < burst.sentAt.length) || member.index >= burst.sockets) {
    burst.strays++;
    return;
  }
  const slot = seq * burst.sockets + member.index;
  if (!Number.isNaN(burst.receivedAt[slot]!)) {
    burst.duplicates++;
    return;
  }
  burst.receivedAt[slot] = at;
  burst.received++;
  if (burst.payloadBytes === 0) burst.payloadBytes = Buffer.byteLength(JSON.stringify(payload));
}

function connectOne(url: string, sessionId: string, token: string | null, member: Omit<Member, "socket">) {
  return new Promise<Member | string>((resolve) => {
    const socket = io(url, {
      forceNew: true,
      transports: ["websocket"],
      reconnection: false,
      timeout: CONNECT_TIMEOUT_MS,
      auth: token ? { sessionId, token } : { sessionId },
    });
    const self: Member = { ...member, socket };
    const timer = setTimeout(() => done("timeout waiting for session:snapshot"), CONNECT_TIMEOUT_MS);
    const done = (outcome: Member | string) => {
      clearTimeout(timer);
      if (typeof outcome === "string") socket.close();
      resolve(outcome);
    };
    socket.once("connect_error", (error: Error & { data?: { code?: string } }) =>
      done(error.data?.code ?? error.message),
    );
    socket.once("session:snapshot", () => {
      self.connected = true;
      done(self);
    });
    for (const event of MEASURED_EVENTS)
      socket.on(event, (payload: unknown) => onMessage(self, event, payload));
    socket.on("disconnect", () => {
      if (self.connected && active) active.disconnects++;
      self.connected = false;
    });
  });
}

async function connect(command: ConnectCommand): Promise<ConnectResult> {
  const started = performance.now();
  const members = groups.get(command.group) ?? [];
  groups.set(command.group, members);
  const errors: Record<string, number> = {};
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < command.tokens.length) {
      const i = next++;
      const url = command.urls[i % command.urls.length]!;
      const outcome = await connectOne(url, command.sessionId, command.tokens[i] ?? null, {
        index: members.length,
        instance: i % command.urls.length,
        connected: false,
      });
      if (typeof outcome === "string") {
        failed++;
        errors[outcome] = (errors[outcome] ?? 0) + 1;
      } else {
        outcome.index = members.length;
        members.push(outcome);
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, worker));
  return { connected: command.tokens.length - failed, failed, errors, ms: performance.now() - started };
}

async function burst(command: BurstCommand): Promise<BurstResult> {
  const members = groups.get(command.group) ?? [];
  if (members.length === 0) throw new Error(`group ${command.group} has no sockets`);
  if (active) throw new Error("a burst is already running");
  const trigger = triggerOf(command.trigger, command.tag);
  const n = command.messages;
  // A full collection now, before anything is timed: with --trace-gc this process ran mark-compacts of 22–45 ms in
  // the middle of bursts, each delaying every socket's receipt at that moment, on whichever side was measured.
  collectGarbage?.();
  const b: ActiveBurst = {
    tag: command.tag,
    event: trigger.event,
    seqOf: trigger.seqOf,
    sentAt: new Float64Array(n).fill(Number.NaN),
    receivedAt: new Float64Array(n * members.length).fill(Number.NaN),
    sockets: members.length,
    received: 0,
    duplicates: 0,
    strays: 0,
    disconnects: 0,
    payloadBytes: 0,
  };
  const live = members.map((m) => m.connected);
  active = b;
  const statuses: Record<string, number> = {};
  const triggerUs: number[] = [];
  const answers: Array<Promise<void>> = [];
  const interval = 1000 / command.hz;
  const cpuBefore = process.cpuUsage();
  const start = performance.now() + 20;
  for (let seq = 0; seq < n; seq++) {
    const due = start + seq * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const sentAt = performance.now();
    b.sentAt[seq] = sentAt;
    answers.push(
      trigger.send(seq).then((status) => {
        triggerUs.push((performance.now() - sentAt) * 1000);
        const key = status < 0 ? "error" : String(status);
        statuses[key] = (statuses[key] ?? 0) + 1;
      }),
    );
  }
  const lastSend = performance.now();
  const expected = n * live.filter(Boolean).length;
  const deadline = lastSend + DRAIN_MS;
  while (b.received < expected && performance.now() < deadline) await sleep(5);
  await Promise.all(answers);
  active = undefined;
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);

  const instances = Math.max(...members.map((m) => m.instance)) + 1;
  const latenciesUs: number[][] = Array.from({ length: instances }, () => []);
  const firstUs: number[] = [];
  const spreadUs: number[] = [];
  let missing = 0;
  for (let seq = 0; seq < n; seq++) {
    const sentAt = b.sentAt[seq]!;
    let first = Infinity;
    let last = -Infinity;
    for (let i = 0; i < b.sockets; i++) {
      const at = b.receivedAt[seq * b.sockets + i]!;
      if (Number.isNaN(at)) {
        if (live[i]) missing++;
        continue;
      }
      latenciesUs[members[i]!.instance]!.push(Math.round((at - sentAt) * 1000));
      if (at < first) first = at;
      if (at > last) last = at;
    }
    if (first !== Infinity) {
      firstUs.push(Math.round((first - sentAt) * 1000));
      spreadUs.push(Math.round((last - first) * 1000));
      if (traceDir) tracedChanges.push([monotonicUs(sentAt), monotonicUs(first)]);
    }
  }
  return {
    sockets: b.sockets,
    sent: n,
    statuses,
    latenciesUs,
    firstUs,
    spreadUs,
    triggerUs: triggerUs.map(Math.round),
    expected,
    missing,
    duplicates: b.duplicates,
    strays: b.strays,
    disconnects: b.disconnects,
    payloadBytes: b.payloadBytes,
    pacing: n > 1 ? (lastSend - b.sentAt[0]!) / ((n - 1) * interval) : 1,
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs,
  };
}

async function close(group: string): Promise<{ closed: number }> {
  const members = groups.get(group) ?? [];
  groups.delete(group);
  for (const member of members) member.socket.close();
  return { closed: members.length };
}

/** The open-files limit of this process (sockets are files). */
function openFilesLimit(): number {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    return Number(line?.split(/\s+/)[3]);
  } catch {
    return Number.NaN;
  }
}

const routes: Record<string, (body: never) => Promise<unknown>> = {
  "/connect": (body: ConnectCommand) => connect(body),
  "/burst": (body: BurstCommand) => burst(body),
  "/close": (body: { group: string }) => close(body.group),
  "/stats": async () => ({
    groups: Object.fromEntries([...groups].map(([name, ms]) => [name, ms.filter((m) => m.connected).length])),
  }),
};

function handle(req: IncomingMessage, res: ServerResponse): void {
  let text = "";
  req.setEncoding("utf8");
  req.on("data", (chunk: string) => (text += chunk));
  req.on("end", () => {
    if (req.url === "/exit") {
      res.end("{}", () => process.exit(0));
      return;
    }
    const route = routes[req.url ?? ""];
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    route((text ? JSON.parse(text) : {}) as never).then(
      (result) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result)),
      (error: unknown) =>
        res
          .writeHead(500, { "content-type": "application/json" })
          .end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) })),
    );
  });
}

const server = createServer(handle);
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  console.log(`${MARKER} ${JSON.stringify({ port, openFiles: openFilesLimit() })}`);
});
process.once("SIGTERM", () => process.exit(0));
