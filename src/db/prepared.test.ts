import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/database.js";
import { users } from "../modules/auth/auth.table.js";
import { createDatabase, type DatabaseHandle } from "./client.js";
import { runPrepared } from "./prepared.js";

describe("runPrepared", () => {
  let database: TestDatabase;
  let single: DatabaseHandle;
  beforeAll(async () => {
    database = await createTestDatabase();
    // One connection, so that its prepared statements are the ones pg_prepared_statements lists.
    single = createDatabase({
      url: database.url,
      poolMax: 1,
      statementTimeoutMs: 5_000,
      connectTimeoutMs: 5_000,
    });
  });
  afterAll(async () => {
    await single?.close();
    await database?.close();
  });

  const prepared = async () =>
    (
      await single.pool.query<{ name: string }>("select name from pg_prepared_statements order by name")
    ).rows.map((r) => r.name);

  it("prepares each shape once, keeps values as parameters, and answers as drizzle does", async () => {
    const { db } = single;
    const insert = (name: string, email: string) =>
      runPrepared(db.insert(users).values({ name, email }).returning());
    const [ada] = await insert("Ada", "ada-prepared@example.com");
    const [bob] = await insert("Bob", "bob-prepared@example.com");
    expect([ada?.name, bob?.name]).toEqual(["Ada", "Bob"]);
    expect(ada?.createdAt).toBeInstanceOf(Date);
    const byEmail = (email: string) => runPrepared(db.select().from(users).where(eq(users.email, email)));
    expect((await byEmail("bob-prepared@example.com")).map((u) => u.id)).toEqual([bob?.id]);
    expect(await byEmail("nobody@example.com")).toEqual([]);
    // Two shapes (the insert and the select), each prepared once whatever the values.
    const names = await prepared();
    expect(names).toHaveLength(2);
    for (const name of names) expect(name).toMatch(/^p_[\w-]{24}$/);
  });
});
