import { render } from "preact";
import { useState } from "preact/hooks";
import type { Credentials } from "./credentials";
import { JoinForm } from "./join-form";
import { Room } from "./room";

/** The attendee page: /join (type the code) or /join/:code (a shared link); join with a name, then the room. */
function AttendeeApp() {
  const fromPath = decodeURIComponent(location.pathname.replace(/^\/join\/?/, "").split("/")[0] ?? "");
  const [joined, setJoined] = useState<{ credentials: Credentials; title: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
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
