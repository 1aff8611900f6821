import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import type { Logger } from "pino";
import { migrationsFolder } from "../lib/paths.js";

/**
 * Applies drizzle-kit's migrations and rolls them back one step at a time.
 *
 * Up migrations are drizzle-kit's own files and bookkeeping table (`drizzle.__drizzle_migrations`, so
 * `drizzle-kit migrate` and this agree). What drizzle lacks is added here: a down migration beside each up
 * one (`down/<tag>.sql`), an advisory lock so that several instances starting at once migrate once, one
 * transaction per migration, and a refusal to run when an applied migration's file has since been edited.
 */

const BREAKPOINT = "--> statement-breakpoint";
const LOCK_KEY = 7_302_611; // arbitrary, constant: the advisory lock every Podium process migrates under

export interface Migration {
  tag: string;
  /** drizzle-kit's timestamp; it is also the key recorded in the bookkeeping table. */
  when: number;
  hash: string;
  up: string[];
  /** Absent when the down file is missing (a state the migration check refuses). */
  down: string[] | undefined;
}

export interface MigrationStatus {
  tag: string;
  applied: boolean;
}

interface JournalEntry {
  tag: string;
  when: number;
}

const split = (sql: string) =>
  sql
    .split(BREAKPOINT)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);

export function readMigrations(folder = migrationsFolder()): Migration[] {
  const journal = JSON.parse(readFileSync(join(folder, "meta", "_journal.json"), "utf8")) as {
    entries: JournalEntry[];
  };
  return journal.entries.map(({ tag, when }) => {
    const up = readFileSync(join(folder, `${tag}.sql`), "utf8");
    const downPath = join(folder, "down", `${tag}.sql`);
    return {
      tag,
      when,
      // The same hash drizzle records, so both tools recognise each other's work.
      hash: createHash("sha256").update(up).digest("hex"),
      up: split(up),
      down: existsSync(downPath) ? split(readFileSync(downPath, "utf8")) : undefined,
    };
  });
}

export interface MigrateOptions {
  logger?: Logger;
  /** The migrations folder (tests use scratch copies). */
  folder?: string;
  /** How long to wait for the connection (default 10 s). */
  connectTimeoutMs?: number;
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

interface AppliedRow {
  hash: string;
  created_at: string;
}

async function withMigrationLock<T>(
  url: string,
  options: MigrateOptions,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    application_name: "podium-migrator",
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  await client.connect();
  try {
    // Another instance migrating holds the lock; waiting for it is right, forever is not.
    await client.query("set lock_timeout = '120s'");
    await client.query("select pg_advisory_lock($1)", [LOCK_KEY]);
    await client.query("set lock_timeout = 0");
    await client.query(`create schema if not exists drizzle`);
    await client.query(
      `create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`,
    );
    return await work(client);
  } finally {
    await client.query("select pg_advisory_unlock($1)", [LOCK_KEY]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

async function appliedMigrations(client: pg.Client): Promise<Map<number, string>> {
  const { rows } = await client.query<AppliedRow>(
    "select hash, created_at from drizzle.__drizzle_migrations order by created_at",
  );
  return new Map(rows.map((row) => [Number(row.created_at), row.hash]));
}

/** Applied migrations this code does not know: the database was migrated by a newer release. */
function unknownApplied(migrations: Migration[], applied: Map<number, string>): number[] {
  const known = new Set(migrations.map((migration) => migration.when));
  return [...applied.keys()].filter((when) => !known.has(when));
}

function assertUnedited(migrations: Migration[], applied: Map<number, string>): void {
  for (const migration of migrations) {
    const hash = applied.get(migration.when);
    if (hash !== undefined && hash !== migration.hash) {
      throw new MigrationError(
        `Migration ${migration.tag} was edited after it was applied to this database. ` +
          "Applied migrations are never edited: restore the file and add a new migration instead.",
      );
    }
  }
}

async function inTransaction(client: pg.Client, statements: string[], record: () => Promise<unknown>) {
  await client.query("begin");
  try {
    for (const statement of statements) await client.query(statement);
    await record();
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }
}

/** Applies every pending migration in order; returns the tags applied. */
export async function migrate(url: string, options: MigrateOptions = {}): Promise<string[]> {
  const { logger } = options;
  const migrations = readMigrations(options.folder);
  return withMigrationLock(url, options, async (client) => {
    const applied = await appliedMigrations(client);
    assertUnedited(migrations, applied);
    const newer = unknownApplied(migrations, applied);
    if (newer.length > 0) {
      logger?.warn(
        { unknown: newer },
        "the database has migrations this release does not know (a newer release?)",
      );
    }
    const done: string[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.when)) continue;
      await inTransaction(client, migration.up, () =>
        client.query("insert into drizzle.__drizzle_migrations (hash, created_at) values ($1, $2)", [
          migration.hash,
          migration.when,
        ]),
      );
      logger?.info({ migration: migration.tag }, "migration applied");
      done.push(migration.tag);
    }
    return done;
  });
}

/** Rolls back the last applied migration with its down file; returns its tag, or undefined if none was applied. */
export async function rollback(url: string, options: MigrateOptions = {}): Promise<string | undefined> {
  const { logger } = options;
  const migrations = readMigrations(options.folder);
  return withMigrationLock(url, options, async (client) => {
    const applied = await appliedMigrations(client);
    assertUnedited(migrations, applied);
    if (unknownApplied(migrations, applied).length > 0) {
      throw new MigrationError(
        "The database has migrations this release does not know: roll back with the release that applied them.",
      );
    }
    const last = [...migrations].reverse().find((migration) => applied.has(migration.when));
    if (!last) return undefined;
    if (!last.down)
      throw new MigrationError(`Migration ${last.tag} has no down migration (down/${last.tag}.sql).`);
    await inTransaction(client, last.down, () =>
      client.query("delete from drizzle.__drizzle_migrations where created_at = $1", [last.when]),
    );
    logger?.info({ migration: last.tag }, "migration rolled back");
    return last.tag;
  });
}

export async function migrationStatus(url: string, options: MigrateOptions = {}): Promise<MigrationStatus[]> {
  const migrations = readMigrations(options.folder);
  return withMigrationLock(url, options, async (client) => {
    const applied = await appliedMigrations(client);
    return migrations.map((migration) => ({ tag: migration.tag, applied: applied.has(migration.when) }));
  });
}
