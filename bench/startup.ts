/**
 * Start time of `node dist/main.js`, from spawn to the first 200 from /api/health (database up, migrated,
 * HTTP listening), then SIGTERM and the time until the process has exited (drain, pool closed, embedded
 * postmaster stopped). Cold: a new, empty data directory (initdb + migrations). Warm: the same directory again.
 */
import { forceStop, stopGracefully, waitFor200 } from "./children.js";
import { startPodium, type DatabaseTarget } from "./podium.js";

export type StartKind = "cold" | "warm";

export interface StartSample {
  kind: StartKind;
  /** Spawn → first 200 from /api/health. */
  startMs: number;
  /** SIGTERM → process exit. */
  shutdownMs: number;
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  timedOut: boolean;
}

const START_DEADLINE_MS = 120_000;
const SHUTDOWN_DEADLINE_MS = 20_000;

export async function measureStart(kind: StartKind, target: DatabaseTarget): Promise<StartSample> {
  const podium = await startPodium(`podium (${kind} start)`, target);
  let readyAt: number;
  try {
    readyAt = await waitFor200(`${podium.url}/api/health`, podium.child, START_DEADLINE_MS);
  } catch (error) {
    await forceStop(podium.child);
    throw error;
  }
  const stop = await stopGracefully(podium.child, SHUTDOWN_DEADLINE_MS);
  if (stop.code !== 0) {
    console.error(
      `${podium.child.name} exited with code ${stop.code} (signal ${stop.signal}):\n${podium.child.tail()}`,
    );
  }
  return {
    kind,
    startMs: readyAt - podium.child.spawnedAt,
    shutdownMs: stop.shutdownMs,
    exitCode: stop.code,
    exitSignal: stop.signal,
    timedOut: stop.timedOut,
  };
}

/** One cold start (on an empty data directory, or the first start against DATABASE_URL), then `warmRuns` warm. */
export async function measureStarts(
  target: DatabaseTarget,
  warmRuns: number,
  progress: (line: string) => void,
): Promise<StartSample[]> {
  const samples: StartSample[] = [];
  for (let i = 0; i <= warmRuns; i++) {
    const kind: StartKind = i === 0 ? "cold" : "warm";
    const sample = await measureStart(kind, target);
    samples.push(sample);
    progress(
      `  ${kind} start${i === 0 ? "" : ` ${i}/${warmRuns}`}: ${(sample.startMs / 1000).toFixed(2)} s to first 200,` +
        ` shutdown ${(sample.shutdownMs / 1000).toFixed(2)} s, exit code ${sample.exitCode ?? sample.exitSignal}`,
    );
  }
  return samples;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
