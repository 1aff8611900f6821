import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import type { Logger } from "pino";
import * as schema from "./schema.js";

export type Schema = typeof schema;
/** `$client`: the pool itself, for the few statements run as named (prepared) statements. */
export type Database = NodePgDatabase<Schema> & { $client: pg.Pool };
/** What repositories accept: the database or a transaction on it. */
export type Executor = Database | Parameters<Parameters<Database["transaction"]>[0]>[0];

export interface DatabaseOptions {
  url: string;
  poolMax: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  applicationName?: string;
}

export interface DatabaseHandle {
  db: Database;
  pool: pg.Pool;
  close(): Promise<void>;
}

export function createDatabase(options: DatabaseOptions, logger?: Logger): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    statement_timeout: options.statementTimeoutMs,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? "podium",
  });
  // An idle client losing its connection (database restarted, network cut) must not crash the process:
  // the pool drops that client and the next query reconnects.
  pool.on("error", (error) => logger?.warn({ err: error }, "idle database connection lost"));
  const db = drizzle(pool, { schema, casing: "snake_case" });
  let closed = false;
  return {
    db,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** The same URL with another database name, for admin connections and per-test databases. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A URL with its password masked, fit for logs. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "****";
  return parsed.toString();
}
