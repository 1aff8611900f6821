/**
 * Child processes of the benchmark: every server runs in its own process group (`detached`), so the group
 * (the server and anything it started, e.g. the embedded postmaster) can be signalled at once, and a Ctrl-C
 * in the terminal reaches only the benchmark, which then cleans up in order. Whatever is still registered
 * when the benchmark exits, however it exits, is killed and removed by the synchronous exit hook.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() when the process exited. */
  at: number;
}

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  /** performance.now() just before spawn. */
  spawnedAt: number;
  exit: Promise<ExitInfo>;
  exited(): boolean;
  /** The last lines the child wrote (stdout and stderr), for error messages. */
  tail(): string;
}

const live = new Set<Child>();
const syncCleanups = new Set<() => void>();
const TAIL_LINES = 40;

export function spawnChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const spawnedAt = performance.now();
  const proc = spawn(command, args, { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  if (proc.pid === undefined) throw new Error(`${name}: spawn of ${command} failed`);
  const pid = proc.pid;
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  let done = false;
  const child: Child = {
    name,
    pid,
    process: proc,
    spawnedAt,
    exit: new Promise<ExitInfo>((resolve) => {
      proc.once("exit", (code, signal) => {
        done = true;
        resolve({ code, signal, at: performance.now() });
      });
    }),
    exited: () => done,
    tail: () => lines.join("\n"),
  };
  live.add(child);
  return child;
}

function signalGroup(child: Child, signal: NodeJS.Signals): void {
  try {
    // A process group cannot be reused while a member is alive, so -pid only ever reaches our own children.
    process.kill(-child.pid, signal);
  } catch {
    // the group is already empty
  }
}

export interface StopResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From SIGTERM to the process's exit. */
  shutdownMs: number;
  timedOut: boolean;
}

/** The production way: SIGTERM to the server process alone (it stops its own children), then wait. */
export async function stopGracefully(child: Child, timeoutMs: number): Promise<StopResult> {
  const sentAt = performance.now();
  if (!child.exited()) child.process.kill("SIGTERM");
  const outcome = await Promise.race([child.exit, sleep(timeoutMs, "timeout" as const)]);
  if (outcome === "timeout") {
    await forceStop(child);
    return { code: null, signal: "SIGKILL", shutdownMs: performance.now() - sentAt, timedOut: true };
  }
  signalGroup(child, "SIGKILL"); // nothing should be left; if something is, it must not outlive the bench
  live.delete(child);
  return { code: outcome.code, signal: outcome.signal, shutdownMs: outcome.at - sentAt, timedOut: false };
}

/** For failures: SIGTERM to the whole group, SIGKILL after a grace period. */
export async function forceStop(child: Child, graceMs = 3_000): Promise<void> {
  signalGroup(child, "SIGTERM");
  await Promise.race([child.exit, sleep(graceMs)]);
  signalGroup(child, "SIGKILL");
  live.delete(child);
}

/** Stops every child still running (used on failure and on signals). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((child) => forceStop(child)));
}

/** Registers a synchronous last-resort cleanup (killing a postmaster, removing a temp dir); returns its remover. */
export function onExitCleanup(cleanup: () => void): () => void {
  syncCleanups.add(cleanup);
  return () => syncCleanups.delete(cleanup);
}

function killEverythingSync(): void {
  for (const child of live) signalGroup(child, "SIGKILL");
  live.clear();
  for (const cleanup of syncCleanups) {
    try {
      cleanup();
    } catch {
      // best effort while exiting
    }
  }
  syncCleanups.clear();
}

let signalled = false;

/** True once a signal has started the cleanup: failures that follow are its consequence, not news. */
export function stoppingOnSignal(): boolean {
  return signalled;
}

/** Installs the exit hook and signal handlers: children die and temp dirs go, however the benchmark ends. */
export function installCleanupHandlers(asyncCleanup: () => Promise<void>): void {
  process.once("exit", killEverythingSync);
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    console.error(`\n${signal}: stopping servers and removing temporary data…`);
    asyncCleanup().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
}

/** A port free on 127.0.0.1 right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}

export interface HttpResponse {
  status: number;
  body: string;
}

/** One GET on a fresh connection (no keep-alive, so a poll never holds a server's connection open). */
export function httpGet(url: string, timeoutMs = 2_000): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Polls `url` until it answers 200; returns performance.now() of the 200's arrival. Fails when the child
 * exits first or the deadline passes, with the child's last output in the message.
 */
export async function waitFor200(
  url: string,
  child: Child,
  deadlineMs: number,
  intervalMs = 10,
): Promise<number> {
  const giveUpAt = performance.now() + deadlineMs;
  let last = "no answer yet";
  while (performance.now() < giveUpAt) {
    if (child.exited()) {
      const { code, signal } = await child.exit;
      throw new Error(
        `${child.name} exited (code ${code}, signal ${signal}) before ${url} answered 200:\n${child.tail()}`,
      );
    }
    try {
      const res = await httpGet(url, 1_000);
      if (res.status === 200) return performance.now();
      last = `status ${res.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `${child.name}: ${url} did not answer 200 within ${deadlineMs} ms (last: ${last}):\n${child.tail()}`,
  );
}

/** Resolves with the first stdout line of `child` containing `marker`. */
export function waitForLine(child: Child, marker: string, deadlineMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${child.name}: no "${marker}" line within ${deadlineMs} ms:\n${child.tail()}`));
    }, deadlineMs);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      const line = buffer.split("\n").find((l) => l.includes(marker));
      if (line !== undefined) {
        cleanup();
        resolve(line.trim());
      }
    };
    const onExit = () => {
      cleanup();
      reject(new Error(`${child.name} exited before printing "${marker}":\n${child.tail()}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.process.stdout?.off("data", onData);
      child.process.off("exit", onExit);
    };
    child.process.stdout?.on("data", onData);
    child.process.once("exit", onExit);
  });
}
