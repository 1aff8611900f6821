import { useState } from "preact/hooks";
import type { SessionView } from "../../../src/modules/sessions/sessions.schemas";
import { describe } from "../lib/api";
import { Alert, TextField } from "../ui/components";

export interface SessionFields {
  title: string;
  description: string | null;
  capacity: number;
  settings: {
    qa: { enabled: boolean; moderation: "none" | "pre"; allowAnonymous: boolean; allowDownvotes: boolean };
    media: { screenShareAllowed: boolean };
  };
}

/**
 * Title, description, capacity and the settings a presenter usually changes. Creating sends them all; editing
 * sends them too, and the server merges the settings field by field into what is stored.
 */
export function SessionForm({
  initial,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  initial?: SessionView;
  submitLabel: string;
  onSubmit: (fields: SessionFields) => Promise<void>;
  onCancel?: () => void;
}) {
  const [title, setTitle] = useState(initial?.title ?? "");
  const [description, setDescription] = useState(initial?.description ?? "");
  const [capacity, setCapacity] = useState(String(initial?.capacity ?? 500));
  const qa = initial?.settings.qa;
  const [qaEnabled, setQaEnabled] = useState(qa?.enabled ?? true);
  const [premoderate, setPremoderate] = useState(qa?.moderation === "pre");
  const [anonymous, setAnonymous] = useState(qa?.allowAnonymous ?? true);
  const [downvotes, setDownvotes] = useState(qa?.allowDownvotes ?? false);
  const [screenShare, setScreenShare] = useState(initial?.settings.media.screenShareAllowed ?? true);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = initial ? `edit-${initial.id}` : "new-session";

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSubmit({
        title,
        description: description.trim() ? description : null,
        capacity: Number(capacity),
        settings: {
          qa: {
            enabled: qaEnabled,
            moderation: premoderate ? "pre" : "none",
            allowAnonymous: anonymous,
            allowDownvotes: downvotes,
          },
          media: { screenShareAllowed: screenShare },
        },
      });
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }
  const check = (label: string, value: boolean, set: (v: boolean) => void) => (
    <label class="inline">
      <input type="checkbox" checked={value} onChange={(e) => set((e.target as HTMLInputElement).checked)} />
      {label}
    </label>
  );

  return (
    <form class="stack" onSubmit={submit}>
      <TextField id={`${id}-title`} label="Title" value={title} onValue={setTitle} required maxLength={200} />
      <div>
        <label for={`${id}-description`}>Description</label>
        <textarea
          id={`${id}-description`}
          maxLength={5000}
          value={description}
          onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)}
        />
      </div>
      <TextField
        id={`${id}-capacity`}
        label="Capacity (attendees)"
        type="number"
        min={1}
        max={100000}
        required
        value={capacity}
        onValue={setCapacity}
      />
      <fieldset>
        <legend>Q&amp;A</legend>
        <div class="stack">
          {check("Take questions", qaEnabled, setQaEnabled)}
          {check("Hold questions for a moderator before they appear", premoderate, setPremoderate)}
          {check("Allow anonymous questions", anonymous, setAnonymous)}
          {check("Allow downvotes", downvotes, setDownvotes)}
        </div>
      </fieldset>
      <fieldset>
        <legend>Media</legend>
        {check("Allow screen sharing", screenShare, setScreenShare)}
      </fieldset>
      <Alert message={error} />
      <div class="row">
        <button type="submit" disabled={busy}>
          {submitLabel}
        </button>
        {onCancel && (
          <button type="button" class="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
