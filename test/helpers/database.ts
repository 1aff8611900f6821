import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { createDatabase, withDatabase, type DatabaseHandle } from "../../src/db/client.js";
import { adminQuery } from "./pg-admin.js";

/** The tables the demo seed fills, for tests that compare row counts. */
export const SEEDED_TABLES = [
  "users",
  "workspaces",
  "workspace_members",
  "sessions",
  "session_members",
  "attendees",
  "questions",
  "question_votes",
  "session_events",
  "session_analytics",
];

/** application_name of the test's own pool on its database (the app's pools say "podium"). */
export const TEST_APPLICATION_NAME = "podium-test";

export interface TestDatabase extends DatabaseHandle {
  name: string;
  url: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/**
 * A database of this test's own: a clone of the migrated template (default) or, with `empty: true`, a blank
 * one for migration tests.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = inject("pgAdminUrl");
  const name = `${inject("pgRunPrefix")}${randomBytes(5).toString("hex")}`;
  const template = options.empty ? "template0" : inject("pgTemplate");
  await adminQuery(adminUrl, `create database "${name}" template "${template}"`);
  const url = withDatabase(adminUrl, name);
  // Named apart from the app's own pools ("podium"), so a test can tell the app's connections from its own.
  const handle = createDatabase({
    url,
    poolMax: 5,
    statementTimeoutMs: 10_000,
    connectTimeoutMs: 5_000,
    applicationName: TEST_APPLICATION_NAME,
  });
  return {
    ...handle,
    name,
    url,
    async drop() {
      await handle.close();
      await adminQuery(adminUrl, `drop database if exists "${name}" with (force)`);
    },
  };
}
