import pg from "pg";

/**
 * One statement on a short-lived connection of its own, for creating and dropping databases and inspecting
 * the server. No vitest import: the global setup (which runs outside any test) uses it too.
 */
export async function adminQuery<Row extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<pg.QueryResult<Row>> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return await client.query<Row>(sql, params);
  } finally {
    await client.end();
  }
}
