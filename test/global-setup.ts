import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { withDatabase } from "../src/db/client.js";
import { startEmbeddedPostgres } from "../src/db/embedded.js";
import { migrate } from "../src/db/migrator.js";

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

  const template = `${runPrefix}template`;
  await admin(adminUrl, `create database "${template}"`);
  await migrate(withDatabase(adminUrl, template));

  project.provide("pgAdminUrl", adminUrl);
  project.provide("pgTemplate", template);
  project.provide("pgRunPrefix", runPrefix);

  return async () => {
    const client = new pg.Client(adminUrl);
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string }>(
        "select datname from pg_database where datname like $1",
        [`${runPrefix}%`],
      );
      for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
    } finally {
      await client.end();
    }
    await stopEmbedded?.();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
}

async function admin(url: string, sql: string) {
  const client = new pg.Client(url);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
