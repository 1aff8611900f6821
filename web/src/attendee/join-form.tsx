import { useState } from "preact/hooks";
import type { PublicSessionView } from "../../../src/modules/sessions/sessions.schemas";
import type { JoinResult } from "../../../src/modules/attendees/attendees.join";
import { api, describe } from "../lib/api";
import { Alert, TextField } from "../ui/components";
import { loadCredentials, saveCredentials, type Credentials } from "./credentials";

/** Joins with a name; a token kept from before is sent along, so this browser rejoins as the same attendee. */
export async function joinSession(
  sessionId: string,
  name: string,
  previous: Credentials | null,
): Promise<Credentials> {
  const result = await api<JoinResult>(`/api/attendee/join/${sessionId}`, {
    method: "POST",
    body: { name },
    token: previous?.token,
  });
  const credentials: Credentials = {
    sessionId,
    attendeeId: result.attendee.id,
    displayName: result.attendee.displayName,
    token: result.token,
    expiresAt: result.expiresAt,
  };
  saveCredentials(credentials);
  return credentials;
}

/**
 * Back into the room without the form, when this browser already holds a token for the session behind `code`
 * (a reload, a link opened again): rejoins as the same attendee, with the name it had. Null when there is none.
 */
export async function resumeJoin(code: string): Promise<{ credentials: Credentials; title: string } | null> {
  const session = await api<PublicSessionView>(`/api/join/${encodeURIComponent(code.trim())}`);
  const previous = loadCredentials(session.sessionId);
  if (!previous) return null;
  const credentials = await joinSession(session.sessionId, previous.displayName, previous);
  return { credentials, title: session.title };
}

export function JoinForm({
  initialCode,
  notice,
  onJoined,
}: {
  initialCode: string;
  notice: string | null;
  onJoined: (joined: { credentials: Credentials; title: string }) => void;
}) {
  const [code, setCode] = useState(initialCode.toUpperCase());
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await api<PublicSessionView>(`/api/join/${encodeURIComponent(code.trim())}`);
      const previous = loadCredentials(session.sessionId);
      const credentials = await joinSession(session.sessionId, name, previous).catch((cause: unknown) => {
        // A kept token that no longer works (expired, left, revoked): join afresh with the name.
        if (previous) return joinSession(session.sessionId, name, null);
        throw cause;
      });
      history.replaceState(null, "", `/join/${encodeURIComponent(code.trim().toUpperCase())}`);
      onJoined({ credentials, title: session.title });
    } catch (cause) {
      setError(describe(cause));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="page narrow">
      <h1>Join a session</h1>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <form class="card stack" onSubmit={submit} aria-describedby="join-help">
        <p id="join-help" class="muted">
          Enter the code the presenter shows and the name others will see next to your questions.
        </p>
        <TextField
          id="join-code"
          label="Session code"
          value={code}
          onValue={(v) => setCode(v.toUpperCase())}
          name="code"
          autocomplete="off"
          autocapitalize="characters"
          spellcheck={false}
          required
          maxLength={12}
        />
        <TextField
          id="join-name"
          label="Your name"
          value={name}
          onValue={setName}
          name="name"
          autocomplete="name"
          required
          maxLength={80}
        />
        <Alert message={error} />
        <button type="submit" disabled={busy}>
          {busy ? "Joining…" : "Join"}
        </button>
      </form>
    </main>
  );
}
