import type { SessionSettings } from "../sessions/sessions.settings.js";
import type { DuplicateBoard } from "./question-duplicates.js";
import type { SessionStatus } from "./questions.repository.js";

/** What an ask is decided on: a session's status and settings, its recent questions at `revision`. */
export interface AskContextEntry {
  status: SessionStatus;
  settings: SessionSettings;
  /** The settings as stored (JSON text), which the insert compares with the stored ones. */
  storedSettings: string;
  revision: number;
  /** Pending and visible questions, the newest first, at most the duplicate window, prepared for duplicates. */
  board: DuplicateBoard;
}

export interface AskContexts {
  get(sessionId: string): AskContextEntry | undefined;
  set(sessionId: string, entry: AskContextEntry): void;
  drop(sessionId: string): void;
  readonly size: number;
}

/**
 * The ask context of the sessions this instance took questions for lately, so that an ask is one statement: the
 * insert writes only while the session still has the remembered status, settings and revision
 * (questions.repository.ts), so a stale entry (another instance's question, moderation or setting) costs a fresh
 * read, never a wrong decision.
 * Bounded: the least recently used session goes first.
 */
export function createAskContexts(maxSessions = 100): AskContexts {
  const entries = new Map<string, AskContextEntry>();
  return {
    get: (sessionId) => entries.get(sessionId),
    set(sessionId, entry) {
      entries.delete(sessionId);
      entries.set(sessionId, entry);
      if (entries.size > maxSessions) entries.delete(entries.keys().next().value as string);
    },
    drop: (sessionId) => void entries.delete(sessionId),
    get size() {
      return entries.size;
    },
  };
}
