/**
 * HTTP throughput with autocannon's programmatic API, from this process against a server in a child process:
 * a warm-up run (discarded), then the measured run with the same settings.
 */
import autocannon from "autocannon";
import { cpuSnapshot, othersShare } from "./cpu.js";

export interface LoadSettings {
  connections: number;
  durationS: number;
  warmupS: number;
}

export interface LoadResult {
  label: string;
  url: string;
  /** Mean of autocannon's per-second samples. */
  reqPerSec: number;
  totalRequests: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Share of the machine's CPU (all cores) used by other processes during the measured run, if known. */
  othersCpu: number | undefined;
}

function fire(
  url: string,
  connections: number,
  durationS: number,
  headers: Record<string, string> | undefined,
): Promise<autocannon.Result> {
  return autocannon({ url, connections, duration: durationS, pipelining: 1, method: "GET", headers });
}

/**
 * `headers` are sent with every request (e.g. a credential); `alsoOurs` are processes outside the benchmark's
 * tree whose CPU is not "others'" (see cpuSnapshot).
 */
export async function measureLoad(
  label: string,
  url: string,
  settings: LoadSettings,
  headers?: Record<string, string>,
  alsoOurs: number[] = [],
): Promise<LoadResult> {
  if (settings.warmupS > 0) await fire(url, settings.connections, settings.warmupS, headers);
  const before = cpuSnapshot(alsoOurs);
  const result = await fire(url, settings.connections, settings.durationS, headers);
  const othersCpu = othersShare(before, cpuSnapshot(alsoOurs));
  return {
    label,
    url,
    reqPerSec: result.requests.average,
    totalRequests: result.requests.total,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    othersCpu,
  };
}

/** A run whose responses were not all 2xx measured something else than the route. */
export function loadProblems(result: LoadResult): string | undefined {
  const problems = [
    result.non2xx ? `${result.non2xx} non-2xx` : "",
    result.errors ? `${result.errors} errors` : "",
    result.timeouts ? `${result.timeouts} timeouts` : "",
  ].filter(Boolean);
  return problems.length ? problems.join(", ") : undefined;
}
