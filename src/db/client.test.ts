import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/database.js";
import { createDatabase, redactUrl, withDatabase, type DatabaseHandle } from "./client.js";

describe("database pool", () => {
  let database: TestDatabase;
  let tight: DatabaseHandle;
  let t: TestApp;
  beforeAll(async () => {
    database = await createTestDatabase();
    tight = createDatabase({
      url: database.url,
      poolMax: 2,
      statementTimeoutMs: 150,
      connectTimeoutMs: 2_000,
    });
    t = await createTestApp({
      database: tight,
      register(app) {
        app.get("/test/slow-query", async () => {
          await tight.pool.query("select pg_sleep(2)");
          return { done: true };
        });
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await tight.close();
    await database.drop();
  });

  it("applies the configured statement timeout and pool size to its connections", async () => {
    const { rows } = await tight.pool.query<{ statement_timeout: string }>("show statement_timeout");
    expect(rows[0]?.statement_timeout).toBe("150ms");
    expect(tight.pool.options.max).toBe(2);
    await expect(tight.pool.query("select pg_sleep(1)")).rejects.toMatchObject({ code: "57014" });
  });

  it("answers a query cut by the statement timeout with 503 DATABASE_TIMEOUT, not 500", async () => {
    const res = await t.app.inject({ method: "GET", url: "/test/slow-query" });
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("1");
    expect(res.json().code).toBe("DATABASE_TIMEOUT");
  });

  it("builds admin URLs and masks passwords for logs", () => {
    expect(withDatabase("postgres://u:p@h:5/app?sslmode=require", "postgres")).toBe(
      "postgres://u:p@h:5/postgres?sslmode=require",
    );
    expect(redactUrl("postgres://u:secret@h:5/app")).toBe("postgres://u:****@h:5/app");
  });
});
