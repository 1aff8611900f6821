import { useEffect, useMemo, useState } from "preact/hooks";
import { useRedraw } from "../lib/redraw";
import { sections, setMyVote, upsertQuestion, type BoardSort } from "../lib/board";
import { describe } from "../lib/api";
import { send } from "../lib/socket";
import { useLiveSession } from "../lib/use-session";
import { Viewer } from "../media/viewer";
import { Alert, ConnectionBanner, QuestionCard, StatusBadge, Video } from "../ui/components";
import { forgetCredentials, type Credentials } from "./credentials";
import { joinSession } from "./join-form";

/** Refusals after which this token cannot come back: join again with a name. */
const TOKEN_GONE = new Set(["ATTENDEE_TOKEN_INVALID", "ATTENDEE_TOKEN_EXPIRED", "ATTENDEE_TOKEN_REVOKED"]);

interface QaSettings {
  enabled: boolean;
  allowAnonymous: boolean;
  allowDownvotes: boolean;
  maxQuestionLength: number;
}

export function Room({
  credentials: initial,
  title,
  onSignedOut,
}: {
  credentials: Credentials;
  title: string;
  onSignedOut: (message: string) => void;
}) {
  const [credentials, setCredentials] = useState(initial);
  const live = useLiveSession({ sessionId: credentials.sessionId, token: credentials.token });
  const { socket, session, board, setBoard, connection, ended, removed, refused } = live;
  const redraw = useRedraw();
  const viewer = useMemo(() => new Viewer(socket, redraw), [socket]);
  const [sort, setSort] = useState<BoardSort>("top");
  const [voteError, setVoteError] = useState<string | null>(null);

  // Media after every (re)connection: the old link is dropped and the presenter offers anew.
  useEffect(() => {
    const start = () => void viewer.start().catch(() => undefined);
    socket.on("connect", start);
    if (socket.connected) start();
    (window as unknown as { podiumViewer: Viewer }).podiumViewer = viewer;
    return () => {
      socket.off("connect", start);
      viewer.dispose();
    };
  }, [viewer]);

  // A refused comeback: a lost seat is taken back over HTTP with the same token; a dead token means joining anew.
  useEffect(() => {
    if (!refused) return;
    if (refused === "ATTENDEE_LEFT" || refused === "SESSION_FULL") {
      const timer = setTimeout(() => {
        joinSession(credentials.sessionId, credentials.displayName, credentials)
          .then(setCredentials)
          .catch(() => socket.connect());
      }, 1_000);
      return () => clearTimeout(timer);
    }
    if (TOKEN_GONE.has(refused)) {
      forgetCredentials(credentials.sessionId);
      onSignedOut("Your place in this session expired. Join again to continue.");
    } else if (refused === "RATE_LIMITED" || refused === "INTERNAL") {
      const timer = setTimeout(() => socket.connect(), 3_000);
      return () => clearTimeout(timer);
    }
    return undefined;
  }, [refused]);

  useEffect(() => {
    if (removed) forgetCredentials(credentials.sessionId);
  }, [removed]);

  const qa = (session?.settings as { qa?: QaSettings } | undefined)?.qa;
  const streams = viewer.streams();
  const camera = streams.find((s) => s.role === "camera");
  const screen = streams.find((s) => s.role === "screen");
  const { pending, open, answered } = sections(board, sort);
  const myPending = pending.filter((q) => board.mine.has(q.id));

  if (removed) {
    return (
      <main class="page narrow">
        <h1>{session?.title ?? title}</h1>
        <p class="alert" role="alert">
          A moderator removed you from this session.
        </p>
      </main>
    );
  }
  if (ended || session?.status === "ended" || refused === "SESSION_ENDED") {
    return (
      <main class="page narrow" data-testid="session-ended">
        <h1>{session?.title ?? title}</h1>
        <p class="card" role="status">
          This session has ended. Thank you for joining!
        </p>
      </main>
    );
  }

  const vote = async (questionId: string, value: 1 | 0 | -1) => {
    const before = board.myVotes.get(questionId) ?? 0;
    setBoard((b) => setMyVote(b, questionId, value));
    setVoteError(null);
    try {
      await send(socket, "question:vote", { questionId, value });
    } catch (error) {
      setBoard((b) => setMyVote(b, questionId, before));
      setVoteError(describe(error));
    }
  };

  return (
    <>
      <header class="bar">
        <div class="row">
          <span class="brand">Podium</span>
          <span class="muted" aria-hidden="true">
            ·
          </span>
          <h1 class="bar-title">{session?.title ?? title}</h1>
          {session && <StatusBadge status={session.status} />}
        </div>
        <div class="muted small" data-testid="attendee-count">
          {board.attendees ? `${board.attendees.count} here` : ""} · you are {credentials.displayName}
        </div>
      </header>
      <main class="page stack">
        <ConnectionBanner state={connection} />
        <section aria-label="Presentation" class={`stage ${screen ? "sharing" : ""}`}>
          {screen && <Video stream={screen.stream} label="Presenter's screen" testId="screen-video" />}
          {camera ? (
            <Video stream={camera.stream} label="Presenter's camera" testId="camera-video" />
          ) : (
            <div class="video-waiting" data-testid="no-video">
              {session?.status === "live"
                ? "Waiting for the presenter's video…"
                : "The session has not started yet."}
            </div>
          )}
        </section>
        <section aria-labelledby="qa-title" class="card stack">
          <h2 id="qa-title">Questions</h2>
          {qa?.enabled === false ? (
            <p class="muted">The presenter has closed questions.</p>
          ) : (
            <AskForm
              maxLength={qa?.maxQuestionLength ?? 300}
              allowAnonymous={qa?.allowAnonymous ?? false}
              onAsk={async (text, anonymous) => {
                const question = await send(socket, "question:submit", {
                  text,
                  ...(anonymous && { anonymous: true }),
                });
                setBoard((b) => upsertQuestion(b, question));
                return question.status === "pending";
              }}
            />
          )}
          {myPending.length > 0 && (
            <div>
              <h3>Your questions awaiting moderation</h3>
              <ul class="list">
                {myPending.map((q) => (
                  <li key={q.id}>
                    <QuestionCard question={q} />
                  </li>
                ))}
              </ul>
            </div>
          )}
          <div class="row">
            <h3 class="grow">Open questions ({open.length})</h3>
            <label class="inline" for="sort">
              Sort
            </label>
            <select
              id="sort"
              style={{ width: "auto" }}
              value={sort}
              onChange={(e) => setSort((e.target as HTMLSelectElement).value as BoardSort)}
            >
              <option value="top">Top</option>
              <option value="new">Newest</option>
            </select>
          </div>
          <Alert message={voteError} />
          {open.length === 0 && <p class="muted">No questions yet. Ask the first one!</p>}
          <ul class="list" aria-label="Open questions">
            {open.map((q) => {
              const mine = board.mine.has(q.id);
              const myVote = board.myVotes.get(q.id) ?? 0;
              return (
                <li key={q.id}>
                  <QuestionCard
                    question={q}
                    aside={
                      <div class="vote">
                        <button
                          type="button"
                          aria-pressed={myVote === 1}
                          disabled={mine || session?.status !== "live"}
                          title={mine ? "You cannot vote for your own question" : undefined}
                          aria-label={`Upvote: ${q.text}`}
                          onClick={() => vote(q.id, myVote === 1 ? 0 : 1)}
                        >
                          ▲
                        </button>
                        <span class="tally" data-testid="tally">
                          {q.upvotes - (qa?.allowDownvotes ? q.downvotes : 0)}
                        </span>
                        <span class="sr-only">{qa?.allowDownvotes ? "net votes" : "upvotes"}</span>
                        {qa?.allowDownvotes && (
                          <button
                            type="button"
                            aria-pressed={myVote === -1}
                            disabled={mine || session?.status !== "live"}
                            aria-label={`Downvote: ${q.text}`}
                            onClick={() => vote(q.id, myVote === -1 ? 0 : -1)}
                          >
                            ▼
                          </button>
                        )}
                      </div>
                    }
                  >
                    {mine && <p class="small muted">Your question</p>}
                  </QuestionCard>
                </li>
              );
            })}
          </ul>
          {answered.length > 0 && (
            <details>
              <summary>Answered ({answered.length})</summary>
              <ul class="list" aria-label="Answered questions">
                {answered.map((q) => (
                  <li key={q.id}>
                    <QuestionCard question={q} />
                  </li>
                ))}
              </ul>
            </details>
          )}
        </section>
      </main>
    </>
  );
}

function AskForm({
  maxLength,
  allowAnonymous,
  onAsk,
}: {
  maxLength: number;
  allowAnonymous: boolean;
  onAsk: (text: string, anonymous: boolean) => Promise<boolean>;
}) {
  const [text, setText] = useState("");
  const [anonymous, setAnonymous] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSent(null);
    try {
      const held = await onAsk(text, anonymous);
      setText("");
      setSent(
        held ? "Sent. A moderator will review it before it appears." : "Your question is on the board.",
      );
    } catch (cause) {
      setError(describe(cause));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="stack" onSubmit={submit}>
      <div>
        <label for="ask">Ask a question</label>
        <textarea
          id="ask"
          required
          maxLength={maxLength}
          value={text}
          aria-describedby="ask-count"
          onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
        />
        <span id="ask-count" class="muted small">
          {text.length}/{maxLength}
        </span>
      </div>
      <div class="row">
        {allowAnonymous && (
          <label class="inline grow">
            <input
              type="checkbox"
              checked={anonymous}
              onChange={(e) => setAnonymous((e.target as HTMLInputElement).checked)}
            />
            Ask anonymously
          </label>
        )}
        <button type="submit" disabled={busy || text.trim().length === 0}>
          Send question
        </button>
      </div>
      <Alert message={error} />
      {sent && (
        <p role="status" class="small muted">
          {sent}
        </p>
      )}
    </form>
  );
}
