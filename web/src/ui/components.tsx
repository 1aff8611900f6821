import type { ComponentChildren, JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { QuestionView } from "../../../src/lib/domain-events";

/** A live MediaStream in a <video> (muted: presenters send no audio, and autoplay needs it). */
export function Video({ stream, label, testId }: { stream: MediaStream; label: string; testId?: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const video = ref.current;
    if (video && video.srcObject !== stream) {
      video.srcObject = stream;
      video.play().catch(() => undefined);
    }
  }, [stream]);
  return <video ref={ref} autoplay playsInline muted aria-label={label} data-testid={testId} />;
}

/** An error said where screen readers announce it. */
export function Alert({ message }: { message: string | null }) {
  return message ? (
    <p class="alert" role="alert">
      {message}
    </p>
  ) : null;
}

export type Connection = "connecting" | "connected" | "reconnecting";

/** The socket's state, announced politely; nothing shown while connected. */
export function ConnectionBanner({ state }: { state: Connection }) {
  return (
    <div role="status" aria-live="polite" data-testid="connection" data-state={state}>
      {state === "connected" ? null : (
        <p class="notice">{state === "connecting" ? "Connecting…" : "Connection lost. Reconnecting…"}</p>
      )}
    </div>
  );
}

export function QuestionBadges({ question }: { question: QuestionView }) {
  return (
    <>
      {question.pinned && <span class="badge pinned">Pinned</span>}
      {question.status === "pending" && <span class="badge pending">Awaiting moderation</span>}
      {question.answered && <span class="badge answered">Answered</span>}
    </>
  );
}

/** A question's text and who asked it, with the slot for the page's own controls. */
export function QuestionCard({
  question,
  aside,
  children,
}: {
  question: QuestionView;
  aside?: ComponentChildren;
  children?: ComponentChildren;
}) {
  const label = `question-${question.id}`;
  return (
    <article class="question" aria-labelledby={label} data-testid="question" data-question-id={question.id}>
      {aside}
      <div class="grow">
        <p class="text" id={label}>
          {question.text}
        </p>
        <p class="muted small row">
          <span>{question.authorName ?? "Anonymous"}</span>
          <QuestionBadges question={question} />
        </p>
        {children}
      </div>
    </article>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge ${status}`}>{status}</span>;
}

/** A labelled text input: the label names it for screen readers, and the value flows through `onValue`. */
export function TextField({
  id,
  label,
  value,
  onValue,
  ...input
}: {
  id: string;
  label: string;
  value: string;
  onValue: (value: string) => void;
} & Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "id" | "value" | "onInput">) {
  return (
    <div>
      <label for={id}>{label}</label>
      <input
        id={id}
        value={value}
        onInput={(e) => onValue((e.target as HTMLInputElement).value)}
        {...input}
      />
    </div>
  );
}
