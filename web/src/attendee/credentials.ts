/**
 * An attendee's token, kept in this browser so a reload or a dropped connection rejoins as the same attendee
 * (same seat, same questions and votes) rather than as a stranger. Only until it expires (two hours).
 */
export interface Credentials {
  sessionId: string;
  attendeeId: string;
  displayName: string;
  token: string;
  expiresAt: string;
}

const key = (sessionId: string) => `podium.attendee.${sessionId}`;

export function loadCredentials(sessionId: string): Credentials | null {
  try {
    const stored = JSON.parse(localStorage.getItem(key(sessionId)) ?? "null") as Credentials | null;
    return stored && Date.parse(stored.expiresAt) > Date.now() ? stored : null;
  } catch {
    return null;
  }
}

export function saveCredentials(credentials: Credentials): void {
  try {
    localStorage.setItem(key(credentials.sessionId), JSON.stringify(credentials));
  } catch {
    // Private browsing without storage: the attendee simply joins anew after a reload.
  }
}

export function forgetCredentials(sessionId: string): void {
  try {
    localStorage.removeItem(key(sessionId));
  } catch {
    // Nothing stored.
  }
}
