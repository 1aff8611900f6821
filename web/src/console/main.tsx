import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../lib/api";
import { SessionConsole } from "./session-console";
import { SessionList } from "./session-list";
import { SignIn } from "./sign-in";

export interface Me {
  kind: "user";
  user: { id: string; name: string; email: string; image: string | null; role: string };
  workspaces: Array<{ id: string; name: string; role: string; personal: boolean }>;
}

/** `#/` the sessions, `#/sessions/:id` one session's console. */
function useRoute(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return hash.replace(/^#/, "") || "/";
}

function ConsoleApp() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const route = useRoute();
  const load = () =>
    api<Me>("/api/me").then(setMe, (error: unknown) => {
      if (error instanceof ApiError && error.status === 401) setMe(null);
      else setMe(null);
    });
  useEffect(() => void load(), []);

  if (me === undefined) return <p class="page muted">Loading…</p>;
  if (me === null) return <SignIn onSignedIn={load} />;
  const sessionId = /^\/sessions\/([0-9a-f-]{36})$/.exec(route)?.[1];
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="bar">
        <a class="brand" href="#/">
          Podium
        </a>
        <div class="row">
          <span class="muted" data-testid="signed-in-as">
            {me.user.name}
          </span>
          <button
            type="button"
            class="secondary"
            onClick={async () => {
              await api("/api/auth/sign-out", { method: "POST", body: {} }).catch(() => undefined);
              setMe(null);
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" class="page" tabIndex={-1}>
        {sessionId ? <SessionConsole key={sessionId} sessionId={sessionId} /> : <SessionList me={me} />}
      </main>
    </>
  );
}

render(<ConsoleApp />, document.getElementById("app")!);
