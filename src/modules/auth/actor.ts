import type { PlatformRole } from "./auth.instance.js";

/** Who is making a request or holding a socket: what every authorization decision starts from. */
export type Actor = UserActor | ApiKeyActor | AttendeeActor | AnonymousActor;

/** A signed-in person (presenter or platform admin), by session cookie or session bearer token. */
export interface UserActor {
  kind: "user";
  userId: string;
  role: PlatformRole;
  /** The auth session (not a presentation session); sign-out revokes it. */
  authSessionId: string;
  /** How the credential arrived: cookie-authenticated mutations must come from a trusted origin (CSRF). */
  via: "cookie" | "bearer";
}

/** A server-to-server caller acting for the user who created the key, limited to the key's scopes. */
export interface ApiKeyActor {
  kind: "apiKey";
  userId: string;
  keyId: string;
  scopes: readonly ApiKeyScope[];
}

/** Someone who joined one session with a name: holds a session-scoped attendee token. */
export interface AttendeeActor {
  kind: "attendee";
  attendeeId: string;
  sessionId: string;
  tokenId: string;
}

export interface AnonymousActor {
  kind: "anonymous";
}

export const ANONYMOUS: AnonymousActor = Object.freeze({ kind: "anonymous" });

/** What an API key may be allowed to do. A key never carries platform-admin rights, whoever created it. */
export const API_KEY_SCOPES = [
  "sessions:read",
  "sessions:write",
  "questions:read",
  "questions:moderate",
  "attendees:read",
  "attendees:moderate",
  "analytics:read",
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** The id the logs and per-actor rate limits use: a kind-qualified subject, never a credential. */
export function actorId(actor: Actor): string | undefined {
  switch (actor.kind) {
    case "user":
      return `user:${actor.userId}`;
    case "apiKey":
      return `key:${actor.keyId}`;
    case "attendee":
      return `attendee:${actor.attendeeId}`;
    case "anonymous":
      return undefined;
  }
}
