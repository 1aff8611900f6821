import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { readMigrations } from "../src/db/migrator.js";
import { createTestDatabase, type TestDatabase } from "./helpers/database.js";
import { freePort } from "./helpers/ports.js";
import { exitWithin, spawnScript, stopServerProcess } from "./helpers/process.js";

const TIMEOUT_MS = 90_000;

/** `npm run db:<command>` as a user runs it, against `env`; resolves with its exit code and output. */
async function db(command: string, env: Record<string, string>) {
  const run = spawnScript("src/db/cli.ts", [command], env);
  const code = await exitWithin(run, 60_000);
  return { code, output: run.output() };
}

describe("npm run db:* commands", () => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it(
    "migrate, status, seed, rollback and migrate again against DATABASE_URL",
    async () => {
      database = await createTestDatabase({ empty: true });
      const env = { DATABASE_URL: database.url };
      const tags = readMigrations().map((m) => m.tag);

      const migrated = await db("migrate", env);
      expect(migrated.code).toBe(0);
      expect(migrated.output).toContain(`applied: ${tags.join(", ")}`);

      const seeded = await db("seed", env);
      expect(seeded.code).toBe(0);
      expect(seeded.output).toMatch(/seeded: users=2, .*sessions=4/);

      const rolledBack = await db("rollback", env);
      expect(rolledBack).toMatchObject({
        code: 0,
        output: expect.stringContaining(`rolled back: ${tags.at(-1)}`),
      });

      const status = await db("status", env);
      expect(status.output).toContain(`pending  ${tags.at(-1)}`);
      expect(status.output).toContain(`applied  ${tags[0]}`);
      expect(status.output).not.toContain(new URL(database.url).password || "\u0000");

      expect((await db("migrate", env)).output).toContain(`applied: ${tags.at(-1)}`);
      const { rows } = await database.pool.query("select count(*)::int as n from sessions");
      expect(rows[0].n).toBe(4);
    },
    TIMEOUT_MS,
  );

  it(
    "db:start with DATABASE_URL only checks and migrates it, without printing its password",
    async () => {
      database = await createTestDatabase({ empty: true });
      const url = new URL(database.url);
      url.password = "not-shown-anywhere";
      // Trust authentication in CI ignores the password; a server that checks it refuses, which is fine too.
      const started = await db("start", { DATABASE_URL: url.toString() });
      expect(started.output).not.toContain("not-shown-anywhere");
    },
    TIMEOUT_MS,
  );

  it(
    "db:start with no DATABASE_URL runs the embedded PostgreSQL until Ctrl-C and prints a working URL",
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), "podium-dbstart-"));
      const run = spawnScript("src/db/cli.ts", ["start"], {
        EMBEDDED_PG_DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: String(await freePort()),
      });
      onTestFinished(() => stopServerProcess(run, { dataDir }), 60_000);
      const deadline = Date.now() + 60_000;
      while (!/DATABASE_URL=\S+/.test(run.output()) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const printed = /DATABASE_URL=(\S+)/.exec(run.output())?.[1];
      expect(printed).toBeDefined();
      const client = new pg.Client(printed);
      await client.connect();
      const { rows } = await client.query("select count(*)::int as n from drizzle.__drizzle_migrations");
      await client.end();
      expect(rows[0].n).toBe(readMigrations().length);

      run.child.kill("SIGINT");
      expect(await exitWithin(run, 20_000)).toBe(0);
    },
    TIMEOUT_MS,
  );
});
