import { spawn, type ChildProcess } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { projectRoot } from "../../src/lib/paths.js";

export interface ServerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs `src/main.ts` (through tsx) as a real process with the given environment. */
export function spawnServer(env: Record<string, string | undefined>): ServerProcess {
  return spawnScript("src/main.ts", [], env);
}

/**
 * Runs a TypeScript entry point of the project (through tsx) as a real process. The environment is the test
 * runner's without DATABASE_URL and REDIS_URL, plus `env`.
 */
export function spawnScript(
  entry: string,
  args: string[],
  env: Record<string, string | undefined>,
): ServerProcess {
  const clean = { ...process.env };
  delete clean.DATABASE_URL;
  delete clean.REDIS_URL;
  const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], {
    cwd: projectRoot(),
    env: { ...clean, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Polls `url` until it answers `status` (default 200) or the time is up. */
export async function waitForStatus(url: string, status = 200, timeoutMs = 30_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status === status) return res;
      last = res.status;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${String(last)})`);
}

/** Resolves with the exit code once the process has exited, or with "timeout" after `timeoutMs`. */
export async function exitWithin(
  server: ServerProcess,
  timeoutMs: number,
): Promise<number | null | "timeout"> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      server.exited,
      sleep(timeoutMs, "timeout" as const, { signal: timer.signal }).catch(() => "timeout" as const),
    ]);
  } finally {
    timer.abort();
  }
}

const stopping = new WeakMap<ServerProcess, Promise<void>>();

/**
 * Stops a server started by `spawnServer` and everything it started, whatever state it is in; safe to call
 * more than once (later calls wait for the first). SIGTERM lets the server drain and stop its embedded
 * PostgreSQL; SIGKILL follows if it has not exited within `timeoutMs`. A SIGKILLed (or crashed) server leaves
 * its embedded PostgreSQL running, so when `dataDir` is given and its postmaster.pid still names a live
 * postmaster, that one gets a fast shutdown (SIGINT) and is waited for, before the data directory is removed.
 */
export function stopServerProcess(
  server: ServerProcess,
  options: { dataDir?: string; timeoutMs?: number } = {},
): Promise<void> {
  let done = stopping.get(server);
  if (!done) {
    done = stop(server, options);
    stopping.set(server, done);
  }
  return done;
}

async function stop(
  server: ServerProcess,
  { dataDir, timeoutMs = 10_000 }: { dataDir?: string; timeoutMs?: number },
) {
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    if ((await exitWithin(server, timeoutMs)) === "timeout") {
      child.kill("SIGKILL");
      if ((await exitWithin(server, 5_000)) === "timeout")
        throw new Error(`server pid ${child.pid} survived SIGKILL`);
    }
  }
  if (!dataDir) return;
  const postmaster = await livePostmaster(dataDir);
  if (postmaster !== undefined) {
    signal(postmaster, "SIGINT"); // PostgreSQL's fast shutdown
    if (!(await goneWithin(postmaster, 15_000))) {
      signal(postmaster, "SIGQUIT"); // immediate shutdown
      if (!(await goneWithin(postmaster, 5_000)))
        throw new Error(`embedded PostgreSQL (pid ${postmaster}) on ${dataDir} did not stop; data dir kept`);
    }
  }
  await rm(dataDir, { recursive: true, force: true });
}

/** The pid in `<dataDir>/postmaster.pid` if that process is alive and is a PostgreSQL server. */
async function livePostmaster(dataDir: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await readFile(join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
  } catch {
    return undefined; // a clean shutdown removes the file
  }
  if (!Number.isInteger(pid) || pid <= 0 || !(await isAlive(pid))) return undefined;
  // A stale file may name a pid since reused by an unrelated process: signal only a postgres.
  const command = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => undefined);
  return command === undefined || command.includes("postgres") ? pid : undefined;
}

async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  // An exited postmaster whose parent died stays a zombie until reaped, which a container's init may never do.
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  const state = stat?.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

async function goneWithin(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
