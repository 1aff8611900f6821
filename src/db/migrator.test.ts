import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import {
  SEEDED_TABLES as TABLES,
  createTestDatabase,
  type TestDatabase,
} from "../../test/helpers/database.js";
import { migrate, MigrationError, migrationStatus, readMigrations, rollback } from "./migrator.js";
import { migrationsFolder } from "../lib/paths.js";
import { seed } from "./seed.js";

async function rowCounts(pool: pg.Pool, tables = TABLES): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const { rows } = await pool.query<{ n: string }>(`select count(*) as n from "${table}"`);
    counts[table] = Number(rows[0]?.n);
  }
  return counts;
}

async function tableExists(pool: pg.Pool, table: string): Promise<boolean> {
  const { rows } = await pool.query<{ t: string | null }>("select to_regclass($1) as t", [`public.${table}`]);
  return rows[0]?.t !== null;
}

async function triggerExists(pool: pg.Pool): Promise<boolean> {
  const { rowCount } = await pool.query(
    "select 1 from pg_trigger where tgname = 'session_events_append_only'",
  );
  return rowCount === 1;
}

describe("migrator", () => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it("has a down migration beside every up migration", () => {
    const migrations = readMigrations();
    expect(migrations.length).toBeGreaterThanOrEqual(3);
    for (const migration of migrations) {
      expect(migration.down, `down/${migration.tag}.sql`).toBeDefined();
      expect(migration.down?.length).toBeGreaterThan(0);
    }
  });

  it("applies every migration once on an empty database, then finds nothing to do", async () => {
    database = await createTestDatabase({ empty: true });
    const applied = await migrate(database.url);
    expect(applied).toEqual(readMigrations().map((m) => m.tag));
    expect(await migrate(database.url)).toEqual([]);
    expect((await migrationStatus(database.url)).every((m) => m.applied)).toBe(true);
    for (const table of TABLES) expect(await tableExists(database.pool, table), table).toBe(true);
  });

  it("migrates once when several instances start at the same time", async () => {
    database = await createTestDatabase({ empty: true });
    const url = database.url;
    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    expect(results.flat()).toHaveLength(readMigrations().length);
    const { rows } = await database.pool.query("select count(*)::int as n from drizzle.__drizzle_migrations");
    expect(rows[0].n).toBe(readMigrations().length);
  });

  /** Rolls back one migration at a time until `tag` was rolled back; returns the tags, last first. */
  async function rollbackThrough(url: string, tag: string): Promise<string[]> {
    const rolledBack: string[] = [];
    for (;;) {
      const undone = await rollback(url);
      if (undone === undefined) throw new Error(`${tag} was never applied`);
      rolledBack.push(undone);
      if (undone === tag) return rolledBack;
    }
  }

  it("migrate → seed → roll back through the append-only trigger → migrate again keeps every row", async () => {
    database = await createTestDatabase({ empty: true });
    await migrate(database.url);
    await seed(database.db);
    const before = await rowCounts(database.pool);
    expect(before.questions).toBeGreaterThan(0);
    expect(await triggerExists(database.pool)).toBe(true);

    const tags = readMigrations().map((m) => m.tag);
    const trigger = tags.find((tag) => tag.endsWith("_session_events_append_only"))!;
    const rolledBack = await rollbackThrough(database.url, trigger);
    expect(rolledBack).toEqual(tags.slice(tags.indexOf(trigger)).reverse());
    expect(await triggerExists(database.pool)).toBe(false);
    expect(await rowCounts(database.pool)).toEqual(before);
    expect((await migrationStatus(database.url)).at(-1)).toEqual({ tag: tags.at(-1), applied: false });

    expect(await migrate(database.url)).toEqual([...rolledBack].reverse());
    expect(await triggerExists(database.pool)).toBe(true);
    expect(await rowCounts(database.pool)).toEqual(before);
  });

  it("rolls back step by step down to nothing, leaving tables of earlier migrations intact", async () => {
    database = await createTestDatabase({ empty: true });
    await migrate(database.url);
    await seed(database.db);
    const users = (await rowCounts(database.pool, ["users", "workspaces"])) as Record<string, number>;

    const domain = readMigrations().find((m) => m.tag.endsWith("_domain"))!.tag;
    await rollbackThrough(database.url, domain);
    expect(await tableExists(database.pool, "sessions")).toBe(false);
    expect(await rowCounts(database.pool, ["users", "workspaces"])).toEqual(users);

    await migrate(database.url);
    expect(await rowCounts(database.pool, ["users", "workspaces"])).toEqual(users);
    expect(await rowCounts(database.pool, ["sessions"])).toEqual({ sessions: 0 });

    for (let i = 0; i < readMigrations().length; i += 1) await rollback(database.url);
    expect(await tableExists(database.pool, "users")).toBe(false);
    expect(await rollback(database.url)).toBeUndefined();
  });

  it("refuses to run when an applied migration's file was edited afterwards", async () => {
    database = await createTestDatabase({ empty: true });
    const folder = await mkdtemp(join(tmpdir(), "podium-migrations-"));
    try {
      await cp(migrationsFolder(), folder, { recursive: true });
      await migrate(database.url, { folder });
      const first = join(folder, `${readMigrations(folder)[0]?.tag}.sql`);
      await writeFile(first, `${await readFile(first, "utf8")}\n-- an innocent-looking edit\n`);
      await expect(migrate(database.url, { folder })).rejects.toThrow(MigrationError);
      await expect(rollback(database.url, { folder })).rejects.toThrow(/edited after it was applied/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("keeps session_events append-only", async () => {
    database = await createTestDatabase();
    await seed(database.db);
    await expect(database.pool.query("update session_events set type = 'tampered'")).rejects.toThrow(
      /append-only/,
    );
  });

  it("refuses to roll back when the database has migrations this release does not know", async () => {
    database = await createTestDatabase({ empty: true });
    await migrate(database.url);
    const older = await mkdtemp(join(tmpdir(), "podium-migrations-"));
    try {
      // An older release: the same folder without the last migration.
      await cp(migrationsFolder(), older, { recursive: true });
      const journalPath = join(older, "meta", "_journal.json");
      const journal = JSON.parse(await readFile(journalPath, "utf8")) as { entries: unknown[] };
      journal.entries.pop();
      await writeFile(journalPath, JSON.stringify(journal));
      await expect(rollback(database.url, { folder: older })).rejects.toThrow(/does not know/);
      expect(await migrate(database.url, { folder: older })).toEqual([]);
      expect((await migrationStatus(database.url)).every((m) => m.applied)).toBe(true);
    } finally {
      await rm(older, { recursive: true, force: true });
    }
  });
});
