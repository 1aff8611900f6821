/**
 * Summarizes what bench/realtime-trace-probe.mjs recorded during a real-time benchmark run:
 *
 *   BENCH_RT_TRACE_DIR=/tmp/trace BENCH_RT_MESSAGES=100 npm run bench:realtime
 *   npx tsx bench/realtime-trace-report.ts /tmp/trace
 *
 * Per server process and kind of request (`PATCH`: the session edit; `POST`: question or raw broadcast): the median
 * and p90 time of each mark after node:http's `request` event, over the requests that broadcast. Then, with Redis,
 * the leg between instances: from the publish on the instance that took the request to the other instance reading
 * the message, and on to its own broadcast. Last, from the clients' process (realtime-client.ts writes each change's
 * send and first receipt on the same clock): send → the server's `request` event → its broadcast → the first
 * socket's receipt, so that a gap outside the server's own marks shows too.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { percentile } from "./signaling-bench.js";

interface Trace {
  t0: number;
  method: string;
  marks: Array<[string, number]>;
}

interface ServerTrace {
  pid: number;
  raw: boolean;
  traces: Trace[];
  broadcasts: Array<[number, number, number]>;
  received: number[];
}

const dir = process.argv[2];
if (!dir) {
  console.error("usage: tsx bench/realtime-trace-report.ts <BENCH_RT_TRACE_DIR>");
  process.exit(2);
}
const servers: ServerTrace[] = readdirSync(dir)
  .filter((name) => /^trace-\d+\.json$/.test(name))
  .map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as ServerTrace);

/** The clients' side (realtime-client.ts): each change's send and first receipt, on the same clock. */
const changes: Array<[number, number]> = readdirSync(dir)
  .filter((name) => /^client-\d+\.json$/.test(name))
  .flatMap(
    (name) =>
      (JSON.parse(readFileSync(join(dir, name), "utf8")) as { changes: Array<[number, number]> }).changes,
  )
  .sort((a, b) => a[0] - b[0]);

const us = (value: number) => `${Math.round(value).toLocaleString("en-US")} µs`.padStart(10);
const first = (trace: Trace, label: string) => trace.marks.find(([name]) => name === label)?.[1];

for (const server of servers) {
  const kind = server.raw ? "raw Socket.io" : "Podium";
  for (const method of ["PATCH", "POST"]) {
    const traces = server.traces.filter((t) => t.method === method && first(t, "broadcast") !== undefined);
    if (traces.length === 0) continue;
    // The nth occurrence of a label is its own mark ("redis> evalsha #2").
    const byLabel = new Map<string, number[]>();
    for (const trace of traces) {
      const seen = new Map<string, number>();
      for (const [label, at] of trace.marks) {
        const n = (seen.get(label) ?? 0) + 1;
        seen.set(label, n);
        const key = n === 1 ? label : `${label} #${n}`;
        byLabel.set(key, [...(byLabel.get(key) ?? []), at]);
      }
    }
    console.log(`\n${kind}, pid ${server.pid}: ${method}, ${traces.length} requests that broadcast`);
    console.log(`${"mark".padEnd(48)}${"p50".padStart(10)}${"p90".padStart(10)}`);
    const rows = [...byLabel.entries()]
      .filter(([, values]) => values.length >= traces.length / 2)
      .map(([label, values]) => ({ label, p50: percentile(values, 0.5), p90: percentile(values, 0.9) }))
      .sort((a, b) => a.p50 - b.p50);
    for (const row of rows) console.log(`${row.label.slice(0, 47).padEnd(48)}${us(row.p50)}${us(row.p90)}`);
  }
}

for (const raw of [false, true]) {
  const sender = servers.find(
    (s) => s.raw === raw && s.traces.some((t) => first(t, "redis> publish") !== undefined),
  );
  const other = servers.find(
    (s) => s.raw === raw && s !== sender && s.traces.length === 0 && s.received.length > 0,
  );
  if (!sender || !other) continue;
  const toPublish: number[] = [];
  const toReceipt: number[] = [];
  const toBroadcast: number[] = [];
  for (const trace of sender.traces) {
    const publishedAt = first(trace, "redis> publish");
    if (publishedAt === undefined) continue;
    const published = trace.t0 + publishedAt;
    const receipt = other.received.find((at) => at >= published);
    const broadcast = receipt === undefined ? undefined : other.broadcasts.find(([at]) => at >= receipt);
    // A match more than 50 ms on belongs to a later change (this one's message never came, e.g. a disturbed round).
    if (receipt === undefined || broadcast === undefined || broadcast[0] - published > 50_000) continue;
    toPublish.push(publishedAt);
    toReceipt.push(receipt - published);
    toBroadcast.push(broadcast[0] - receipt);
  }
  const line = (what: string, values: number[]) =>
    `  ${what.padEnd(46)}${us(percentile(values, 0.5))}${us(percentile(values, 0.9))}`;
  console.log(
    `\nacross instances, ${raw ? "raw Socket.io" : "Podium"} (${toPublish.length} changes; p50, p90)`,
  );
  console.log(line("request → publish", toPublish));
  console.log(line("publish → the other instance reads it", toReceipt));
  console.log(line("read → its broadcast starts", toBroadcast));
}

/** The change a request carried: the last one sent before the server saw it (within 50 ms). */
function changeOf(trace: Trace): [number, number] | undefined {
  let lo = 0;
  let hi = changes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (changes[mid]![0] <= trace.t0) lo = mid + 1;
    else hi = mid;
  }
  const change = changes[lo - 1];
  return change && trace.t0 - change[0] < 50_000 ? change : undefined;
}

if (changes.length > 0) {
  for (const server of servers) {
    for (const method of ["PATCH", "POST"]) {
      const toRequest: number[] = [];
      const toBroadcast: number[] = [];
      const toFirst: number[] = [];
      const total: number[] = [];
      for (const trace of server.traces) {
        const broadcastAt = first(trace, "broadcast") ?? first(trace, "redis> publish");
        const change = trace.method === method ? changeOf(trace) : undefined;
        if (broadcastAt === undefined || !change || change[1] < trace.t0) continue;
        toRequest.push(trace.t0 - change[0]);
        toBroadcast.push(broadcastAt);
        toFirst.push(change[1] - trace.t0 - broadcastAt);
        total.push(change[1] - change[0]);
      }
      if (total.length === 0) continue;
      const line = (what: string, values: number[]) =>
        `  ${what.padEnd(46)}${us(percentile(values, 0.5))}${us(percentile(values, 0.9))}`;
      console.log(
        `\nfrom the clients, ${server.raw ? "raw Socket.io" : "Podium"} pid ${server.pid}: ${method} (${total.length} changes; p50, p90)`,
      );
      console.log(line("client sends → request event", toRequest));
      console.log(line("request event → broadcast (or publish)", toBroadcast));
      console.log(line("broadcast → first socket's receipt", toFirst));
      console.log(line("send → first receipt", total));
    }
  }
}
