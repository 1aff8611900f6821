import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { withDatabase } from "../src/db/client.js";
import { startEmbeddedPostgres } from "../src/db/embedded.js";
import { migrate } from "../src/db/migrator.js";
import { adminQuery } from "./helpers/pg-admin.js";
import { freePort } from "./helpers/ports.js";
import { sharedForRun } from "./helpers/run-once.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Maintenance-database URL of the PostgreSQL server the tests use. */
    pgAdminUrl: string;
    /** Name of the migrated template database each test database is cloned from. */
    pgTemplate: string;
    /** Prefix of every database this run creates, so teardown can drop them all. */
    pgRunPrefix: string;
  }
}

/**
 * One PostgreSQL for the run: the server in DATABASE_URL (CI: the machine's PostgreSQL), or else a real
 * embedded PostgreSQL 15 in a temporary folder. A template database is migrated once; test files clone it.
 */
export default async function setup(project: TestProject) {
  const { value, release } = await sharedForRun("postgres", prepare);
  project.provide("pgAdminUrl", value.adminUrl);
  project.provide("pgTemplate", value.template);
  project.provide("pgRunPrefix", value.runPrefix);
  return release;
}

async function prepare() {
  const runPrefix = `podium_t${process.pid}_`;
  let adminUrl: string;
  let stopEmbedded: (() => Promise<void>) | undefined;
  let dataDir: string | undefined;
  if (process.env.DATABASE_URL) {
    adminUrl = withDatabase(process.env.DATABASE_URL, "postgres");
  } else {
    dataDir = await mkdtemp(join(tmpdir(), "podium-test-pg-"));
    const embedded = await startEmbeddedPostgres({ dataDir, port: await freePort() });
    adminUrl = embedded.adminUrl;
    stopEmbedded = embedded.stop;
  }

  const teardown = async () => {
    try {
      // An exact prefix test: with LIKE, "_" matches any character, so run podium_t123_ would also match
      // podium_t1234_… and drop another run's databases on a shared server.
      const { rows } = await adminQuery<{ datname: string }>(
        adminUrl,
        "select datname from pg_database where left(datname, length($1)) = $1",
        [runPrefix],
      );
      for (const { datname } of rows) {
        await adminQuery(adminUrl, `drop database if exists "${datname.replaceAll('"', '""')}" with (force)`);
      }
    } finally {
      await stopEmbedded?.();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    }
  };

  const template = `${runPrefix}template`;
  try {
    await adminQuery(adminUrl, `create database "${template}"`);
    await migrate(withDatabase(adminUrl, template));
  } catch (error) {
    // Vitest runs no teardown for a setup that failed: do not leave the template or the embedded server behind.
    await teardown().catch(() => undefined);
    throw error;
  }

  return { value: { adminUrl, template, runPrefix }, teardown };
}
