import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { Database } from "../../db/client.js";
import { ignoreEvents, type Publish } from "../../lib/domain-events.js";

/** Advisory lock key of the sweep (any constant shared by every instance; "podium presence" in ASCII, cut). */
const SWEEP_LOCK_KEY = 0x706f6469756d70;

/**
 * Marks attendees silent past the grace period as disconnected, once across all instances: each sweep runs in
 * a transaction that first takes a transaction-level advisory lock; an instance that cannot get it skips the
 * round (another is sweeping). Every change is logged as an `attendee.status` event in the same statement.
 * Resolves to how many attendees were marked, or null when another instance held the lock.
 */
export async function sweepPresence(
  db: Database,
  graceMs: number,
  publish: Publish = ignoreEvents,
): Promise<number | null> {
  const swept = await db.transaction(async (tx) => {
    const { rows } = await tx.execute<{ locked: boolean }>(
      sql`select pg_try_advisory_xact_lock(${SWEEP_LOCK_KEY}) as locked`,
    );
    if (!rows[0]?.locked) return null;
    const marked = await tx.execute<{ session_id: string; n: number }>(sql`
      with silent as (
        update attendees set status = 'disconnected'
        where status in ('connected', 'reconnecting')
          and last_seen_at < now() - (${graceMs} * interval '1 millisecond')
        returning id, session_id, last_seen_at
      ), logged as (
        insert into session_events (session_id, type, actor_type, actor_id, payload)
        select session_id, 'attendee.status', 'system', null,
               jsonb_build_object('attendeeId', id, 'to', 'disconnected', 'reason', 'silent', 'lastSeenAt', last_seen_at)
        from silent
        returning session_id
      )
      select session_id, count(*)::int as n from logged group by session_id`);
    return marked.rows;
  });
  if (swept === null) return null;
  // Committed: the counts of these sessions changed.
  for (const row of swept) publish({ type: "attendees.changed", sessionId: row.session_id });
  return swept.reduce((sum, row) => sum + row.n, 0);
}

/** Runs the sweep every `intervalMs` (unref'd, so it never holds the process open); returns its stop. */
export function startPresenceSweeper(options: {
  db: Database;
  graceMs: number;
  intervalMs: number;
  logger: Logger;
  publish?: Publish;
}): () => void {
  const { db, graceMs, intervalMs, logger, publish } = options;
  let running = false;
  const timer = setInterval(() => {
    // A slow sweep (a busy database) must not pile up behind itself.
    if (running) return;
    running = true;
    sweepPresence(db, graceMs, publish)
      .then((marked) => {
        if (marked) logger.info({ marked }, "presence sweep: silent attendees marked disconnected");
      })
      .catch((error: unknown) => logger.warn({ err: error }, "presence sweep failed; retrying next round"))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
