import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import type { MediaLinkView, MediaPeer } from "./signaling.schemas.js";
import type { LinkState } from "./signaling.table.js";

interface LinkRow extends Record<string, unknown> {
  session_id: string;
  attendee_id: string;
  peer_id: string;
  presenter_peer_id: string | null;
  attendee_state: LinkState;
  attendee_state_at: Date | null;
  presenter_state: LinkState;
  presenter_state_at: Date | null;
  requested_at: Date | null;
  connected_at: Date | null;
  connect_ms: number | null;
  attempts: number;
  ice_restarts: number;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

function linkView(row: LinkRow): MediaLinkView {
  return {
    sessionId: row.session_id,
    attendeeId: row.attendee_id,
    peerId: row.peer_id,
    presenterPeerId: row.presenter_peer_id,
    attendeeState: row.attendee_state,
    attendeeStateAt: iso(row.attendee_state_at),
    presenterState: row.presenter_state,
    presenterStateAt: iso(row.presenter_state_at),
    requestedAt: iso(row.requested_at),
    connectedAt: iso(row.connected_at),
    connectMs: row.connect_ms,
    attempts: row.attempts,
    iceRestarts: row.ice_restarts,
  };
}

/** An attendee by its peer id, if it is in a session and has not left or been removed. */
export async function findAttendeePeer(
  db: Executor,
  peerId: string,
): Promise<(MediaPeer & { sessionId: string }) | null> {
  const { rows } = await db.execute<{
    id: string;
    session_id: string;
    display_name: string;
    peer_id: string;
  }>(sql`select id, session_id, display_name, peer_id from attendees
         where peer_id = ${peerId} and status <> 'left' and banned_at is null and removed_at is null`);
  const row = rows[0];
  return row
    ? { peerId: row.peer_id, attendeeId: row.id, displayName: row.display_name, sessionId: row.session_id }
    : null;
}

/**
 * The attendee is ready for media: a new attempt starts now (`requested_at`), both ends' states are reset.
 * Resolves to the attendee as presenters address it, or null when it has left.
 */
export async function markAttendeeReady(db: Executor, attendeeId: string): Promise<MediaPeer | null> {
  const { rows } = await db.execute<{ peer_id: string; display_name: string }>(sql`
    with me as (
      select id, session_id, peer_id, display_name from attendees
      where id = ${attendeeId} and status <> 'left' and banned_at is null and removed_at is null
    ), upsert as (
      insert into media_links (attendee_id, session_id, ready_at, requested_at, attempts)
      select id, session_id, now(), now(), 1 from me
      on conflict (attendee_id) do update set
        ready_at = now(), requested_at = now(), connected_at = null, connect_ms = null,
        presenter_peer_id = null, attendee_state = 'new', attendee_state_at = null,
        presenter_state = 'new', presenter_state_at = null,
        attempts = media_links.attempts + 1, updated_at = now()
    )
    select peer_id, display_name from me`);
  const row = rows[0];
  return row ? { peerId: row.peer_id, attendeeId, displayName: row.display_name } : null;
}

/**
 * A presenter went live (or came back): every attendee of the session that is ready for media and still present
 * starts a new attempt with this presenter. Resolves to them.
 */
export async function requestReadyLinks(
  db: Executor,
  sessionId: string,
  presenterPeerId: string,
): Promise<MediaPeer[]> {
  const { rows } = await db.execute<{ attendee_id: string; peer_id: string; display_name: string }>(sql`
    update media_links ml set
      requested_at = now(), connected_at = null, connect_ms = null, presenter_peer_id = ${presenterPeerId},
      attendee_state = 'new', attendee_state_at = null, presenter_state = 'new', presenter_state_at = null,
      attempts = ml.attempts + 1, updated_at = now()
    from attendees a
    where ml.session_id = ${sessionId} and ml.ready_at is not null and a.id = ml.attendee_id
      and a.status in ('connected', 'reconnecting') and a.banned_at is null and a.removed_at is null
    returning ml.attendee_id, a.peer_id, a.display_name`);
  return rows.map((row) => ({
    peerId: row.peer_id,
    attendeeId: row.attendee_id,
    displayName: row.display_name,
  }));
}

/** The attendee is done with media (left, or its socket closed). */
export async function markAttendeeGone(db: Executor, attendeeId: string): Promise<void> {
  await db.execute(sql`
    update media_links set ready_at = null, attendee_state = 'closed', attendee_state_at = now(), updated_at = now()
    where attendee_id = ${attendeeId}`);
}

/**
 * Records one end's state of an attendee's link. The first `connected` of an attempt sets `connected_at` and the
 * time to connect; `justConnected` says whether this report was it (both ends may report at the same moment:
 * the row lock decides).
 */
export async function recordLinkState(
  db: Executor,
  input: {
    attendeeId: string;
    sessionId: string;
    end: "attendee" | "presenter";
    state: LinkState;
    presenterPeerId: string;
  },
): Promise<{ link: MediaLinkView; justConnected: boolean }> {
  const { attendeeId, sessionId, end, state, presenterPeerId } = input;
  const stateColumn = end === "attendee" ? sql.raw("attendee_state") : sql.raw("presenter_state");
  const atColumn = end === "attendee" ? sql.raw("attendee_state_at") : sql.raw("presenter_state_at");
  // Call inside a transaction: the row lock taken by the select holds until the update commits, so of two
  // reports arriving together exactly one sees `connected_at` still empty.
  await db.execute(sql`
    insert into media_links (attendee_id, session_id, presenter_peer_id)
    values (${attendeeId}, ${sessionId}, ${presenterPeerId})
    on conflict (attendee_id) do nothing`);
  const before = await db.execute<{ connected_at: Date | null }>(
    sql`select connected_at from media_links where attendee_id = ${attendeeId} for update`,
  );
  const wasConnected = before.rows[0]?.connected_at != null;
  const { rows } = await db.execute<LinkRow>(sql`
    with updated as (
      update media_links set
        ${stateColumn} = ${state}, ${atColumn} = clock_timestamp(),
        presenter_peer_id = coalesce(presenter_peer_id, ${presenterPeerId}),
        connected_at = case when ${state} = 'connected' and connected_at is null and requested_at is not null
                            then clock_timestamp() else connected_at end,
        connect_ms = case when ${state} = 'connected' and connected_at is null and requested_at is not null
                          then round(extract(epoch from clock_timestamp() - requested_at) * 1000)::int
                          else connect_ms end,
        updated_at = now()
      where attendee_id = ${attendeeId}
      returning *
    )
    select u.*, a.peer_id from updated u join attendees a on a.id = u.attendee_id`);
  const row = rows[0]!;
  return { link: linkView(row), justConnected: !wasConnected && row.connected_at !== null };
}

export async function countIceRestart(db: Executor, attendeeId: string): Promise<void> {
  await db.execute(
    sql`update media_links set ice_restarts = ice_restarts + 1, updated_at = now() where attendee_id = ${attendeeId}`,
  );
}

export interface QualityBucket {
  sessionId: string;
  attendeeId: string;
  reporter: "attendee" | "presenter";
  minute: Date;
  reports: number;
  rttMs: number | null;
  rttMaxMs: number | null;
  jitterMs: number | null;
  packetLossPct: number | null;
  packetLossMaxPct: number | null;
  bitrateKbps: number | null;
  fps: number | null;
}

/** Adds minutes of quality to the table; a minute already there is merged into a weighted average. */
export async function saveQualityMinutes(db: Executor, buckets: QualityBucket[]): Promise<void> {
  if (buckets.length === 0) return;
  const values = sql.join(
    buckets.map(
      (b) =>
        sql`(${b.sessionId}::uuid, ${b.attendeeId}::uuid, ${b.reporter}, ${b.minute.toISOString()}::timestamptz,
             ${b.reports}::int, ${b.rttMs}::real, ${b.rttMaxMs}::real, ${b.jitterMs}::real, ${b.packetLossPct}::real,
             ${b.packetLossMaxPct}::real, ${b.bitrateKbps}::real, ${b.fps}::real)`,
    ),
    sql`, `,
  );
  const merge = (column: string) =>
    sql.raw(`${column} = case when excluded.${column} is null then m.${column}
              when m.${column} is null then excluded.${column}
              else (m.${column} * m.reports + excluded.${column} * excluded.reports) / (m.reports + excluded.reports) end`);
  await db.execute(sql`
    insert into media_quality_minutes as m (session_id, attendee_id, reporter, minute, reports, rtt_ms, rtt_max_ms,
      jitter_ms, packet_loss_pct, packet_loss_max_pct, bitrate_kbps, fps)
    select v.* from (values ${values}) as v(session_id, attendee_id, reporter, minute, reports, rtt_ms, rtt_max_ms,
      jitter_ms, packet_loss_pct, packet_loss_max_pct, bitrate_kbps, fps)
    where exists (select 1 from attendees a where a.id = v.attendee_id)
    on conflict (session_id, attendee_id, reporter, minute) do update set
      ${merge("rtt_ms")}, ${merge("jitter_ms")}, ${merge("packet_loss_pct")}, ${merge("bitrate_kbps")}, ${merge("fps")},
      rtt_max_ms = greatest(m.rtt_max_ms, excluded.rtt_max_ms),
      packet_loss_max_pct = greatest(m.packet_loss_max_pct, excluded.packet_loss_max_pct),
      reports = m.reports + excluded.reports`);
}
