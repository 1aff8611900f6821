import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Credentials } from "./credentials";
import { JoinForm, resumeJoin } from "./join-form";
import { Room } from "./room";

/** The attendee page: /join (type the code) or /join/:code (a shared link); join with a name, then the room. */
function AttendeeApp() {
  const fromPath = decodeURIComponent(location.pathname.replace(/^\/join\/?/, "").split("/")[0] ?? "");
  const [joined, setJoined] = useState<{ credentials: Credentials; title: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [resuming, setResuming] = useState(fromPath !== "");
  useEffect(() => {
    if (!fromPath) return;
    // A token kept from before: straight back in. Anything else (none, expired, session over): the form.
    resumeJoin(fromPath)
      .then((resumed) => resumed && setJoined(resumed))
      .catch(() => undefined)
      .finally(() => setResuming(false));
  }, []);
  if (resuming && !joined)
    return (
      <main class="page narrow">
        <h1>Join a session</h1>
        <p role="status">Rejoining…</p>
      </main>
    );
  if (!joined) return <JoinForm initialCode={fromPath} notice={notice} onJoined={setJoined} />;
  return (
    <Room
      credentials={joined.credentials}
      title={joined.title}
      onSignedOut={(message) => {
        setNotice(message);
        setJoined(null);
      }}
    />
  );
}

render(<AttendeeApp />, document.getElementById("app")!);
