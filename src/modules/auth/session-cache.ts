import type { UserActor } from "./actor.js";

interface Entry {
  actor: UserActor;
  generation: string;
  until: number;
  /** From this time on, a use asks for the entry to be read afresh (`claimRefresh`): half its time is gone. */
  refreshFrom: number;
  refreshing: boolean;
}

export interface SessionCache {
  get(token: string, generation: string): UserActor | undefined;
  /** Whom the token was last read as, whatever the generation: a guess to start work with, never an answer. */
  peek(token: string): UserActor | undefined;
  set(token: string, actor: UserActor, generation: string, sessionExpiresAt: Date): void;
  /**
   * True once per entry past half its time: the caller then reads the session afresh off the request's path and
   * `set`s (or `delete`s) it, so that a user in use does not pay better-auth's full read on a request when the entry
   * runs out. The entry is served meanwhile only until its own time, as always.
   */
  claimRefresh(token: string): boolean;
  delete(token: string): void;
  readonly size: number;
}

/**
 * Session tokens → the user they authenticate, for at most `ttlMs` (and never past the session's expiry),
 * valid only under the generation they were read in. Bounded: the oldest entries go first.
 */
export function createSessionCache(options: {
  ttlMs: number;
  maxEntries?: number;
  now?: () => number;
}): SessionCache {
  const { ttlMs } = options;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  return {
    get(token, generation) {
      const entry = entries.get(token);
      if (!entry) return undefined;
      if (entry.generation !== generation || entry.until <= now()) {
        entries.delete(token);
        return undefined;
      }
      return entry.actor;
    },
    peek(token) {
      return entries.get(token)?.actor;
    },
    set(token, actor, generation, sessionExpiresAt) {
      if (ttlMs <= 0) return;
      // A token read again goes to the back of the line: the oldest read goes first.
      entries.delete(token);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      const at = now();
      entries.set(token, {
        actor,
        generation,
        until: Math.min(at + ttlMs, sessionExpiresAt.getTime()),
        refreshFrom: at + ttlMs / 2,
        refreshing: false,
      });
    },
    claimRefresh(token) {
      const entry = entries.get(token);
      if (!entry || entry.refreshing || now() < entry.refreshFrom) return false;
      entry.refreshing = true;
      return true;
    },
    delete(token) {
      entries.delete(token);
    },
    get size() {
      return entries.size;
    },
  };
}
