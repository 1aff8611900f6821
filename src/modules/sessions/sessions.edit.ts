import type { Database } from "../../db/client.js";
import type { Actor } from "../auth/actor.js";
import {
  decideSession,
  type SessionRelations,
  type SessionRole,
  type WorkspaceRole,
} from "../auth/policy.js";
import type { SessionEdit, SessionRow } from "./sessions.repository.js";

type EditingActor = Extract<Actor, { kind: "user" | "apiKey" }>;

/** What the edit statement saw and did: the actor's relations to the session (null: no such session), the row. */
export interface AuthorizedEdit {
  relations: SessionRelations | null;
  /** The session as changed (null: not changed: not allowed, or ended). */
  row: SessionRow | null;
}

const SESSION_ROLES: Array<SessionRole | null> = ["host", "co_host", "moderator", null];
const WORKSPACE_ROLES: Array<WorkspaceRole | null> = ["owner", "admin", "member", null];
/** Per kind of actor (platform role, or key scopes): the role pairs the policy allows `session.update` to. */
const grantsByActor = new Map<string, string[]>();

/**
 * The `session_role/workspace_role` pairs (empty for none) the policy lets this actor edit a session with: its
 * whole truth table for this actor, asked of the policy itself, so that the statement below decides exactly as
 * `decideSession` does and the policy stays the one place that says who may.
 */
export function editGrants(actor: EditingActor): string[] {
  const key = actor.kind === "user" ? `user:${actor.role}` : `apiKey:${[...actor.scopes].sort().join(",")}`;
  let grants = grantsByActor.get(key);
  if (!grants) {
    grants = [];
    for (const sessionRole of SESSION_ROLES) {
      for (const workspaceRole of WORKSPACE_ROLES) {
        const relations = { sessionId: "", workspaceId: "", sessionRole, workspaceRole };
        if (decideSession(actor, "session.update", relations).allowed) {
          grants.push(`${sessionRole ?? ""}/${workspaceRole ?? ""}`);
        }
      }
    }
    grantsByActor.set(key, grants);
  }
  return grants;
}

/**
 * A host's edit in one statement (PATCH is used live, and each statement costs a round trip): reads the actor's
 * relations to the session as `findSessionRelations` does, applies the edit only when they grant it (the pairs
 * from `editGrants`) and the session has not ended, bumps the version and appends the `session.updated` event for
 * the row changed. Settings are merged from the row as locked, so concurrent edits of different fields both
 * survive. The caller decides on the returned relations with the policy, for the refusal to give.
 */
export async function editSessionAuthorized(
  db: Database,
  input: { sessionId: string; actor: EditingActor; edit: SessionEdit; fields: string[] },
): Promise<AuthorizedEdit> {
  const { sessionId, actor, edit, fields } = input;
  const { settings, scheduledAt } = edit;
  const { rows } = await db.$client.query<EditRow>({
    name: "sessions.edit_authorized",
    text: EDIT_AUTHORIZED,
    values: [
      sessionId,
      actor.userId,
      editGrants(actor),
      edit.title ?? null,
      edit.description !== undefined,
      edit.description ?? null,
      edit.capacity ?? null,
      scheduledAt !== undefined,
      scheduledAt ?? null,
      settings
        ? JSON.stringify({ qa: settings.qa ?? {}, media: settings.media ?? {}, rest: settings.rest })
        : null,
      actor.kind === "apiKey" ? "api_key" : "user",
      JSON.stringify(fields),
    ],
  });
  const found = rows[0];
  if (!found) return { relations: null, row: null };
  return {
    relations: {
      sessionId,
      workspaceId: found.rel_workspace_id,
      sessionRole: found.rel_session_role,
      workspaceRole: found.rel_workspace_role,
    },
    row: found.id === null ? null : toSessionRow(found as EditRow & { id: string }),
  };
}

interface EditRow {
  rel_workspace_id: string;
  rel_session_role: SessionRole | null;
  rel_workspace_role: WorkspaceRole | null;
  id: string | null;
  workspace_id: string;
  owner_id: string;
  title: string;
  description: string | null;
  status: SessionRow["status"];
  join_code: string;
  capacity: number;
  attendees_present: number;
  attendees_peak: number;
  settings: SessionRow["settings"];
  scheduled_at: Date | null;
  started_at: Date | null;
  ended_at: Date | null;
  version: number;
  questions_revision: number;
  created_at: Date;
  updated_at: Date;
}

function toSessionRow(row: EditRow & { id: string }): SessionRow {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    ownerId: row.owner_id,
    title: row.title,
    description: row.description,
    status: row.status,
    joinCode: row.join_code,
    capacity: row.capacity,
    attendeesPresent: row.attendees_present,
    attendeesPeak: row.attendees_peak,
    settings: row.settings,
    scheduledAt: row.scheduled_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    version: row.version,
    questionsRevision: row.questions_revision,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * $1 session, $2 the user (an API key's owner), $3 the granted role pairs, $4 title (null: unchanged), $5/$6
 * description given / value, $7 capacity (null: unchanged), $8/$9 scheduledAt given / value (a date schedules a
 * session that is not live, null makes it a draft), $10 settings `{qa, media, rest}` (null: unchanged), $11 the
 * event's actor type, $12 the fields named by the patch. Relations as in session-access.repository.ts.
 */
const EDIT_AUTHORIZED = `
  with rel as (
    select s.id, s.workspace_id,
      case when s.owner_id = $2::uuid then 'host' else m.role::text end as session_role,
      case when w.role in ('owner', 'admin', 'member') then w.role end as workspace_role
    from sessions s
    left join session_members m on m.session_id = s.id and m.user_id = $2::uuid
    left join workspace_members w on w.organization_id = s.workspace_id and w.user_id = $2::uuid
    where s.id = $1::uuid
    limit 1
  ), edited as (
    update sessions s set
      title = coalesce($4::text, s.title),
      description = case when $5::boolean then $6::text else s.description end,
      capacity = coalesce($7::int, s.capacity),
      scheduled_at = case when $8::boolean then $9::timestamptz else s.scheduled_at end,
      status = case
        when not $8::boolean or s.status = 'live' then s.status
        when $9::timestamptz is null then 'draft'::session_status
        else 'scheduled'::session_status end,
      settings = case when $10::jsonb is null then s.settings else s.settings
        || jsonb_build_object(
          'qa', coalesce(s.settings -> 'qa', '{}'::jsonb) || ($10::jsonb -> 'qa'),
          'media', coalesce(s.settings -> 'media', '{}'::jsonb) || ($10::jsonb -> 'media'))
        || ($10::jsonb -> 'rest') end,
      version = s.version + 1,
      updated_at = now()
    from rel
    where s.id = rel.id and s.status <> 'ended'
      and coalesce(rel.session_role, '') || '/' || coalesce(rel.workspace_role, '') = any($3::text[])
    returning s.*
  ), logged as (
    insert into session_events (session_id, type, actor_type, actor_id, payload)
    select e.id, 'session.updated', $11::actor_type, $2::uuid,
      jsonb_build_object('fields', $12::jsonb, 'version', e.version)
    from edited e
  )
  select rel.workspace_id as rel_workspace_id, rel.session_role as rel_session_role,
    rel.workspace_role as rel_workspace_role, e.*
  from rel left join edited e on true`;
