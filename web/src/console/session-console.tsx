import { useEffect, useMemo, useState } from "preact/hooks";
import { useRedraw } from "../lib/redraw";
import type { QualitySummary } from "../../../src/modules/signaling/signaling.schemas";
import type { SessionView } from "../../../src/modules/sessions/sessions.schemas";
import { api, describe } from "../lib/api";
import { useLiveSession } from "../lib/use-session";
import { Broadcaster } from "../media/broadcaster";
import { Alert, ConnectionBanner, StatusBadge, Video } from "../ui/components";
import { ModerationBoard } from "./moderation-board";
import { SessionForm } from "./session-form";
import { JoinDetails, QualityPanel } from "./session-panels";

/**
 * One session's console: its join code and link, going live with camera and screen, the attendee count and
 * connection quality, the Q&A board, editing, and ending. The socket stays open whatever the status, so the
 * console follows changes made elsewhere (another tab, a co-host, the API).
 */
export function SessionConsole({ sessionId }: { sessionId: string }) {
  const [details, setDetails] = useState<SessionView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [confirmEnd, setConfirmEnd] = useState(false);
  const [useCamera, setUseCamera] = useState(true);
  const [quality, setQuality] = useState<QualitySummary | null>(null);
  const live = useLiveSession({ sessionId });
  const { socket, session, board, connection } = live;
  const redraw = useRedraw();
  const broadcaster = useMemo(() => new Broadcaster(socket, redraw), [socket]);

  useEffect(() => {
    api<SessionView>(`/api/sessions/${sessionId}`).then(setDetails, (e: unknown) => setError(describe(e)));
  }, [sessionId]);
  useEffect(() => {
    // Back from a dropped connection while broadcasting: media:ready again, every link is made anew.
    const resume = () =>
      broadcaster.live && void broadcaster.start().catch((e: unknown) => setError(describe(e)));
    socket.on("connect", resume);
    socket.on("media:quality", setQuality);
    (window as unknown as { podiumBroadcaster: Broadcaster }).podiumBroadcaster = broadcaster;
    return () => {
      socket.off("connect", resume);
      socket.off("media:quality", setQuality);
      broadcaster.dispose();
    };
  }, [broadcaster]);
  useEffect(() => {
    if (live.ended) void broadcaster.stop();
  }, [live.ended]);

  const status = session?.status ?? details?.status;
  const run = async (action: () => Promise<void>) => {
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(describe(e));
    }
  };
  const camera = broadcaster.stream("camera");
  const screen = broadcaster.stream("screen");

  const goLive = () =>
    run(async () => {
      if (status !== "live")
        setDetails(await api<SessionView>(`/api/sessions/${sessionId}/start`, { method: "POST", body: {} }));
      if (useCamera && !camera) await startCamera();
      await broadcaster.start();
    });
  const startCamera = async () => {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: 1280, height: 720 },
      audio: true,
    });
    await broadcaster.addStream("camera", stream);
  };
  const shareScreen = () =>
    run(async () => {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      // Stopping from the browser's own "Stop sharing" bar ends the share here too.
      stream.getVideoTracks()[0]?.addEventListener("ended", () => void broadcaster.removeStream("screen"));
      await broadcaster.addStream("screen", stream).catch(async (e: unknown) => {
        stream.getTracks().forEach((track) => track.stop());
        throw e;
      });
    });
  const end = () =>
    run(async () => {
      setConfirmEnd(false);
      await broadcaster.stop();
      setDetails(await api<SessionView>(`/api/sessions/${sessionId}/end`, { method: "POST", body: {} }));
    });

  if (!details) return error ? <Alert message={error} /> : <p class="muted">Loading…</p>;
  const title = session?.title ?? details.title;
  const links = broadcaster.states();

  return (
    <div class="stack">
      <ConnectionBanner state={connection} />
      <div class="row">
        <h1 class="grow">
          {title} <StatusBadge status={status ?? details.status} />
        </h1>
        {status !== "ended" && !editing && (
          <button type="button" class="secondary" onClick={() => setEditing(true)}>
            Edit
          </button>
        )}
      </div>
      <Alert message={error} />
      {editing && (
        <section class="card" aria-labelledby="edit-title">
          <h2 id="edit-title">Edit session</h2>
          <SessionForm
            initial={details}
            submitLabel="Save changes"
            onCancel={() => setEditing(false)}
            onSubmit={async (fields) => {
              setDetails(
                await api<SessionView>(`/api/sessions/${sessionId}`, { method: "PATCH", body: fields }),
              );
              setEditing(false);
            }}
          />
        </section>
      )}
      <div class="columns">
        <div class="stack">
          <section class="card stack" aria-labelledby="media-title">
            <h2 id="media-title">Broadcast</h2>
            <div class={`stage ${screen ? "sharing" : ""}`}>
              {screen && <Video stream={screen} label="Your shared screen" testId="local-screen" />}
              {camera ? (
                <Video stream={camera} label="Your camera" testId="local-camera" />
              ) : (
                <div class="video-waiting">{broadcaster.live ? "Camera off" : "Not broadcasting"}</div>
              )}
            </div>
            {status === "ended" ? (
              <p role="status">This session has ended.</p>
            ) : (
              <div class="row">
                {!broadcaster.live ? (
                  <>
                    <label class="inline">
                      <input
                        type="checkbox"
                        checked={useCamera}
                        onChange={(e) => setUseCamera((e.target as HTMLInputElement).checked)}
                      />
                      Use my camera
                    </label>
                    <button type="button" onClick={goLive} disabled={connection !== "connected"}>
                      {status === "live" ? "Start broadcasting" : "Go live"}
                    </button>
                  </>
                ) : (
                  <>
                    <button
                      type="button"
                      class="secondary"
                      onClick={() => run(() => (camera ? broadcaster.removeStream("camera") : startCamera()))}
                    >
                      {camera ? "Turn camera off" : "Turn camera on"}
                    </button>
                    <button
                      type="button"
                      class="secondary"
                      onClick={screen ? () => run(() => broadcaster.removeStream("screen")) : shareScreen}
                    >
                      {screen ? "Stop sharing" : "Share screen"}
                    </button>
                  </>
                )}
                {status === "live" &&
                  (confirmEnd ? (
                    <span class="row" role="group" aria-label="Confirm ending the session">
                      <span>End for everyone?</span>
                      <button type="button" class="danger" onClick={end}>
                        Yes, end session
                      </button>
                      <button type="button" class="secondary" onClick={() => setConfirmEnd(false)}>
                        Keep going
                      </button>
                    </span>
                  ) : (
                    <button type="button" class="danger" onClick={() => setConfirmEnd(true)}>
                      End session
                    </button>
                  ))}
              </div>
            )}
            <QualityPanel
              attendees={board.attendees?.count ?? null}
              connected={links.filter((l) => l.state === "connected").length}
              links={links.length}
              quality={quality}
            />
          </section>
          <JoinDetails joinCode={details.joinCode} />
        </div>
        <ModerationBoard board={board} />
      </div>
    </div>
  );
}
