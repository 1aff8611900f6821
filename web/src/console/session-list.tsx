import { useEffect, useState } from "preact/hooks";
import type { SessionPage, SessionView } from "../../../src/modules/sessions/sessions.schemas";
import { api, describe } from "../lib/api";
import { Alert, StatusBadge } from "../ui/components";
import type { Me } from "./main";
import { SessionForm } from "./session-form";

/** The sessions the presenter can see, newest first, a page at a time; and a form to create one. */
export function SessionList({ me }: { me: Me }) {
  const [items, setItems] = useState<SessionPage["items"]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [loaded, setLoaded] = useState(false);

  const load = async (cursor?: string) => {
    try {
      const page = await api<SessionPage>(
        `/api/sessions?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      setItems((held) => (cursor ? [...held, ...page.items] : page.items));
      setNext(page.nextCursor);
      setLoaded(true);
    } catch (e) {
      setError(describe(e));
    }
  };
  useEffect(() => void load(), []);

  return (
    <div class="stack">
      <div class="row">
        <h1 class="grow">Your sessions</h1>
        {!creating && (
          <button type="button" onClick={() => setCreating(true)}>
            New session
          </button>
        )}
      </div>
      {creating && (
        <section class="card" aria-labelledby="new-title">
          <h2 id="new-title">New session</h2>
          <SessionForm
            submitLabel="Create session"
            onCancel={() => setCreating(false)}
            onSubmit={async (fields) => {
              const created = await api<SessionView>("/api/sessions", { method: "POST", body: fields });
              location.hash = `#/sessions/${created.id}`;
            }}
          />
        </section>
      )}
      <Alert message={error} />
      {loaded && items.length === 0 && !creating && (
        <p class="card">
          Hello {me.user.name}. You have no sessions yet: create one, go live, and share its code with your
          audience.
        </p>
      )}
      <ul class="list card" aria-label="Sessions">
        {items.map((session) => (
          <li key={session.id} class="row">
            <div class="grow">
              <a href={`#/sessions/${session.id}`}>
                <strong>{session.title}</strong>
              </a>{" "}
              <StatusBadge status={session.status} />
              <div class="muted small">
                Code <span class="mono">{session.joinCode}</span> · {session.summary.attendeesNow} here now ·
                peak {session.summary.peakAttendees} · {session.summary.questions} questions · created{" "}
                {new Date(session.createdAt).toLocaleString()}
              </div>
            </div>
            <a
              class="button secondary"
              href={`#/sessions/${session.id}`}
              aria-label={`Open ${session.title}`}
            >
              Open
            </a>
          </li>
        ))}
      </ul>
      {next && (
        <button type="button" class="secondary" onClick={() => load(next)}>
          Show more
        </button>
      )}
    </div>
  );
}
