import type { Pool, PoolClient } from "pg";

/**
 * A transaction, on a connection of its own, that has locked an attendee's row as a presence change does
 * (`touchPresence`, `reseatAttendee`): it then frees or takes a seat on the session's row, the other order from a
 * cascading delete's. Commit or roll back `client`, then release it.
 */
export async function presenceHolding(
  pool: Pool,
  attendeeId: string,
): Promise<{ client: PoolClient; pid: number }> {
  const client = await pool.connect();
  await client.query("begin");
  await client.query("select status from attendees where id = $1 for no key update", [attendeeId]);
  const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
  return { client, pid: rows[0]!.pid };
}

/** Resolves once some statement waits for a lock the backend `pid` holds. */
export async function someoneWaitsFor(pool: Pool, pid: number): Promise<void> {
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))",
      [pid],
    );
    if (rows[0]!.n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The presence change goes on: the attendee disconnects, which frees its seat on the session's row; then commits. */
export async function disconnectAndCommit(client: PoolClient, attendeeId: string): Promise<void> {
  await client.query("update attendees set status = 'disconnected', last_seen_at = now() where id = $1", [
    attendeeId,
  ]);
  await client.query("commit");
}
