import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { projectRoot } from "../src/lib/paths.js";
import { checkMigrationHistory, checkSchemaMatchesMigrations } from "./migration-checks.js";

const run = promisify(execFile);

describe("migration history check", () => {
  let repo: string;
  const git = (...args: string[]) =>
    run("git", ["-C", repo, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args]);
  const journal = (tags: string[]) =>
    JSON.stringify({ entries: tags.map((tag, i) => ({ idx: i, tag, when: 1000 + i })) });

  beforeEach(async () => {
    repo = await mkdtemp(join(tmpdir(), "podium-history-"));
    await git("init", "-q");
    await mkdir(join(repo, "src/db/migrations/meta"), { recursive: true });
    await mkdir(join(repo, "src/db/migrations/down"), { recursive: true });
    await writeFile(join(repo, "src/db/migrations/0000_a.sql"), "create table a (id int);");
    await writeFile(join(repo, "src/db/migrations/down/0000_a.sql"), "drop table a;");
    await writeFile(join(repo, "src/db/migrations/meta/_journal.json"), journal(["0000_a"]));
    await git("add", ".");
    await git("commit", "-qm", "first migration");
  });
  afterEach(async () => rm(repo, { recursive: true, force: true }));

  it("accepts new migrations appended after landed ones", async () => {
    await writeFile(join(repo, "src/db/migrations/0001_b.sql"), "create table b (id int);");
    await writeFile(join(repo, "src/db/migrations/down/0001_b.sql"), "drop table b;");
    await writeFile(join(repo, "src/db/migrations/meta/_journal.json"), journal(["0000_a", "0001_b"]));
    await git("add", ".");
    await git("commit", "-qm", "second migration");
    expect(await checkMigrationHistory(repo)).toEqual([]);
  });

  it("fails when a landed migration is edited in a later commit", async () => {
    await writeFile(join(repo, "src/db/migrations/0000_a.sql"), "create table a (id bigint);");
    await git("commit", "-qam", "edit a landed migration");
    const problems = await checkMigrationHistory(repo);
    expect(problems.join("\n")).toMatch(/0000_a\.sql was changed after it landed/);
  });

  it("fails when a landed migration has uncommitted edits", async () => {
    await writeFile(join(repo, "src/db/migrations/down/0000_a.sql"), "drop table if exists a;");
    expect((await checkMigrationHistory(repo)).join("\n")).toMatch(/uncommitted changes/);
  });

  it("fails when a landed journal entry is rewritten", async () => {
    await writeFile(join(repo, "src/db/migrations/meta/_journal.json"), journal(["0000_renamed"]));
    await git("commit", "-qam", "rename");
    expect((await checkMigrationHistory(repo)).join("\n")).toMatch(/entry 0000_a .* was changed or removed/);
  });
});

describe("schema drift check", () => {
  it("finds nothing to generate for the committed schema", async () => {
    expect(await checkSchemaMatchesMigrations(projectRoot())).toEqual([]);
  });

  it("reports the migration drizzle-kit would add when a table is missing from the SQL", async () => {
    const dir = await mkdtemp(join(projectRoot(), "test", ".drift-"));
    try {
      const schema = join(dir, "schema.ts");
      await writeFile(
        schema,
        [
          'export * from "../../src/db/schema.js";',
          'import { pgTable, text } from "drizzle-orm/pg-core";',
          'export const driftProbe = pgTable("drift_probe", { name: text() });',
        ].join("\n"),
      );
      const added = await checkSchemaMatchesMigrations(projectRoot(), { schema });
      expect(added).toHaveLength(1);
      expect(added[0]).toMatch(/drift_check\.sql$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
