import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * The two guards CI runs on migrations (`npm run db:check`):
 * 1. history: a migration that has landed is never edited. Each SQL file (up or down) is touched by exactly one
 *    commit, none has uncommitted changes, and the journal only ever grows at its end.
 * 2. drift: the Drizzle schema and the SQL agree: `drizzle-kit generate` into a scratch copy writes nothing new.
 */

interface JournalEntry {
  tag: string;
  when: number;
}

async function git(repo: string, args: string[]): Promise<string> {
  const { stdout } = await run("git", ["-C", repo, ...args], { maxBuffer: 32 * 1024 * 1024 });
  return stdout;
}

export async function checkMigrationHistory(repo: string, folder = "src/db/migrations"): Promise<string[]> {
  const problems: string[] = [];
  const tracked = (await git(repo, ["ls-files", "--", `${folder}/*.sql`, `${folder}/down/*.sql`]))
    .split("\n")
    .filter(Boolean);
  for (const file of tracked) {
    const commits = (await git(repo, ["log", "--format=%h", "--follow", "--", file]))
      .split("\n")
      .filter(Boolean);
    if (commits.length > 1) {
      problems.push(
        `${file} was changed after it landed (commits ${commits.join(", ")}); add a new migration instead.`,
      );
    }
  }
  const dirty = (await git(repo, ["status", "--porcelain", "--", folder]))
    .split("\n")
    .filter((line) => line.length > 3 && !line.startsWith("??") && !line.startsWith("A "))
    .map((line) => line.slice(3));
  for (const file of dirty) {
    if (file.endsWith(".sql"))
      problems.push(`${file} has uncommitted changes to a migration that already landed.`);
  }

  // Every committed version of the journal must be a prefix of the current one.
  const journalPath = `${folder}/meta/_journal.json`;
  const current = parseJournal(await git(repo, ["show", `HEAD:${journalPath}`]).catch(() => "{}"));
  const history = (await git(repo, ["log", "--format=%H", "--", journalPath])).split("\n").filter(Boolean);
  for (const commit of history) {
    const past = parseJournal(await git(repo, ["show", `${commit}:${journalPath}`]));
    past.forEach((entry, index) => {
      const now = current[index];
      if (!now || now.tag !== entry.tag || now.when !== entry.when) {
        problems.push(
          `${journalPath}: entry ${entry.tag} of commit ${commit.slice(0, 7)} was changed or removed.`,
        );
      }
    });
  }
  return [...new Set(problems)];
}

function parseJournal(text: string): JournalEntry[] {
  return ((JSON.parse(text) as { entries?: JournalEntry[] }).entries ?? []).map(({ tag, when }) => ({
    tag,
    when,
  }));
}

/** Runs drizzle-kit generate against a scratch copy of the migrations; returns the files it would add. */
export async function checkSchemaMatchesMigrations(
  root: string,
  options: { schema?: string; folder?: string } = {},
): Promise<string[]> {
  const folder = options.folder ?? join(root, "src", "db", "migrations");
  const scratch = await mkdtemp(join(tmpdir(), "podium-drift-"));
  try {
    await cp(folder, scratch, { recursive: true });
    const before = new Set(await readdir(scratch));
    const { stdout, stderr } = await run("npx", ["drizzle-kit", "generate", "--name", "drift_check"], {
      cwd: root,
      env: {
        ...process.env,
        // drizzle-kit only takes an output folder relative to the project.
        DRIZZLE_MIGRATIONS_OUT: relative(root, scratch),
        ...(options.schema ? { DRIZZLE_SCHEMA: options.schema } : {}),
      },
    });
    const added = (await readdir(scratch)).filter((file) => !before.has(file) && file.endsWith(".sql"));
    // drizzle-kit can exit 0 after failing: trust only one of its two success messages.
    if (added.length === 0 && !/No schema changes/.test(stdout)) {
      throw new Error(`drizzle-kit generate did not run cleanly:\n${stdout}\n${stderr}`);
    }
    return added;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
