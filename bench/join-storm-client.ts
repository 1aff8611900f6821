/**
 * The join storm's client, in its own process (so the server under test never shares an event loop with it):
 * opens STORM_COUNT keep-alive connections, primes each with one GET of STORM_PRIME_PATH (so the server has
 * accepted every connection before the storm), then writes one `POST STORM_PATH` on every connection in one
 * synchronous loop from prebuilt buffers and waits for all the answers.
 *
 *   STORM_URL=http://127.0.0.1:PORT STORM_PATH=/api/attendee/join/<id> STORM_PRIME_PATH=/ STORM_COUNT=1000 \
 *   STORM_NAME=… node --import tsx bench/join-storm-client.ts
 *
 * Prints one line `join-storm result {json}` (StormClientResult) and exits 0; exits 1 with a message on failure.
 * Latency of a request: from just before its write to the arrival of its last byte (keepalive-client.ts).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { getRequest, KeepAliveConnection, type Exchange } from "./keepalive-client.js";

/** The marker of the result line (repeated in sessions-bench.ts, which must not load this file). */
const MARKER = "join-storm result";
const CONNECT_BATCH = 100;

export interface StormClientResult {
  count: number;
  /** HTTP status → responses. */
  statuses: Record<string, number>;
  /** Problem `code` of every non-2xx answer → responses. */
  codes: Record<string, number>;
  /** Distinct attendee ids among the 2xx answers. */
  distinctAttendees: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  /** The same, over the 201s and over the 409s alone. */
  createdP50Us: number;
  refusedP50Us: number;
  /** First write → last byte of the last answer. */
  wallMs: number;
  /** First write → last write returned (the client's own share of "at once"). */
  fireSpanMs: number;
  /** CPU time of this process from the first write to the last answer (user + system). */
  clientCpuMs: number;
  connectMs: number;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`join-storm-client: ${name} is required`);
    process.exit(78);
  }
  return value;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

function postRequest(url: URL, path: string, body: string): Buffer {
  const bytes = Buffer.byteLength(body);
  const head = [
    `POST ${path} HTTP/1.1`,
    `host: ${url.host}`,
    "content-type: application/json",
    `content-length: ${bytes}`,
  ].join("\r\n");
  return Buffer.from(`${head}\r\n\r\n${body}`, "utf8");
}

async function main(): Promise<void> {
  const base = new URL(required("STORM_URL"));
  const path = required("STORM_PATH");
  const primePath = required("STORM_PRIME_PATH");
  const count = Number(required("STORM_COUNT"));
  const name = process.env.STORM_NAME ?? "Storm";

  const connectStarted = performance.now();
  const connections: KeepAliveConnection[] = [];
  for (let i = 0; i < count; i += CONNECT_BATCH) {
    const batch = Math.min(CONNECT_BATCH, count - i);
    connections.push(
      ...(await Promise.all(Array.from({ length: batch }, () => KeepAliveConnection.open(base)))),
    );
  }
  const prime = getRequest(base, primePath);
  for (let i = 0; i < count; i += CONNECT_BATCH) {
    const primed = await Promise.all(connections.slice(i, i + CONNECT_BATCH).map((c) => c.send(prime)));
    const refused = primed.find((exchange) => exchange.status !== 200);
    if (refused) throw new Error(`priming GET ${primePath} answered ${refused.status}: ${refused.body}`);
  }
  const connectMs = performance.now() - connectStarted;
  const requests = connections.map((_, i) =>
    postRequest(base, path, JSON.stringify({ name: `${name} #${String(i + 1).padStart(4, "0")}` })),
  );
  await sleep(200); // let the server's event loop and GC settle after priming

  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const pending: Array<Promise<Exchange>> = new Array(count);
  for (let i = 0; i < count; i++) pending[i] = connections[i]!.send(requests[i]!);
  const fired = process.hrtime.bigint();
  const exchanges = await Promise.all(pending);
  const cpu = process.cpuUsage(cpuBefore);
  const done = process.hrtime.bigint();
  for (const connection of connections) connection.close();

  const statuses: Record<string, number> = {};
  const codes: Record<string, number> = {};
  const attendees = new Set<string>();
  const all: number[] = [];
  const created: number[] = [];
  const refused: number[] = [];
  for (const exchange of exchanges) {
    const us = Number(exchange.elapsedNs) / 1000;
    all.push(us);
    statuses[exchange.status] = (statuses[exchange.status] ?? 0) + 1;
    let body: { code?: unknown; attendee?: { id?: unknown } } = {};
    try {
      body = JSON.parse(exchange.body) as typeof body;
    } catch {
      // counted under its status; the code stays unknown
    }
    if (exchange.status >= 200 && exchange.status < 300) {
      created.push(us);
      if (typeof body.attendee?.id === "string") attendees.add(body.attendee.id);
    } else {
      if (exchange.status === 409) refused.push(us);
      const code = typeof body.code === "string" ? body.code : "(no code)";
      codes[code] = (codes[code] ?? 0) + 1;
    }
  }
  const sorted = (values: number[]) => Float64Array.from(values).sort();
  const allSorted = Array.from(sorted(all));
  const result: StormClientResult = {
    count,
    statuses,
    codes,
    distinctAttendees: attendees.size,
    p50Us: percentile(allSorted, 0.5),
    p99Us: percentile(allSorted, 0.99),
    maxUs: allSorted.at(-1) ?? Number.NaN,
    createdP50Us: percentile(Array.from(sorted(created)), 0.5),
    refusedP50Us: percentile(Array.from(sorted(refused)), 0.5),
    wallMs: Number(done - started) / 1e6,
    fireSpanMs: Number(fired - started) / 1e6,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    connectMs,
  };
  console.log(`${MARKER} ${JSON.stringify(result)}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error("join-storm-client failed:", error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
