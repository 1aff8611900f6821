import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/database.js";

describe("database schema", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database.drop());

  it("has the indexes the real-time queries need", async () => {
    const { rows } = await database.pool.query<{ indexname: string; indexdef: string }>(
      "select indexname, indexdef from pg_indexes where schemaname = 'public'",
    );
    const byName = new Map(rows.map((row) => [row.indexname, row.indexdef]));
    expect(byName.get("sessions_owner_status_idx")).toMatch(
      /\(owner_id, status, created_at DESC( NULLS LAST)?, id DESC( NULLS LAST)?\)/,
    );
    expect(byName.get("sessions_join_code_active_uq")).toMatch(
      /UNIQUE.*\(join_code\) WHERE \(status <> 'ended'/,
    );
    expect(byName.get("questions_session_rank_idx")).toMatch(
      /\(session_id, status, pinned DESC( NULLS LAST)?, score DESC( NULLS LAST)?, id\)/,
    );
    expect(byName.get("questions_session_new_idx")).toMatch(
      /\(session_id, status, created_at DESC( NULLS LAST)?, id\)/,
    );
    expect(byName.get("attendees_session_status_idx")).toMatch(/\(session_id, status, joined_at\)/);
    expect(byName.get("session_events_session_idx")).toMatch(/\(session_id, id\)/);
  });

  it("deletes a session's dependants with it (every foreign key to sessions cascades)", async () => {
    const { rows } = await database.pool.query<{ child: string; action: string }>(
      `select conrelid::regclass::text as child, confdeltype as action
         from pg_constraint where contype = 'f' and confrelid = 'sessions'::regclass`,
    );
    expect(rows.map((row) => row.child).sort()).toEqual(
      [
        "attendees",
        "media_links",
        "media_quality_minutes",
        "questions",
        "session_analytics",
        "session_analytics_minutes",
        "session_events",
        "session_members",
      ].sort(),
    );
    for (const row of rows) expect(row.action, row.child).toBe("c");
  });

  it("refuses rows the model forbids, by constraint", async () => {
    const { rows } = await database.pool.query<{ user_id: string; workspace_id: string }>(
      `with u as (insert into users (name, email) values ('Ada', 'ada-schema@example.com') returning id),
            w as (insert into workspaces (name, slug, created_at) values ('W', 'w-schema', now()) returning id)
       select u.id as user_id, w.id as workspace_id from u, w`,
    );
    const owner = rows[0];
    const session = (code: string, extra = "") =>
      database.pool.query(
        `insert into sessions (workspace_id, owner_id, title, join_code${extra ? ", status" : ""})
         values ($1, $2, 'Talk', $3${extra ? `, '${extra}'` : ""})`,
        [owner?.workspace_id, owner?.user_id, code],
      );
    await expect(session("ab1")).rejects.toMatchObject({
      code: "23514",
      constraint: "sessions_join_code_format",
    });
    await expect(session("LIVE01", "live")).rejects.toMatchObject({ constraint: "sessions_lifecycle_times" });
    await session("KEEP01");
    await expect(session("KEEP01")).rejects.toMatchObject({
      code: "23505",
      constraint: "sessions_join_code_active_uq",
    });
  });
});
