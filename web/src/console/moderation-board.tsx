import { useState } from "preact/hooks";
import type { QuestionView } from "../../../src/lib/domain-events";
import { sections, type Board } from "../lib/board";
import { api, describe } from "../lib/api";
import { Alert, QuestionCard } from "../ui/components";

type Change = { status?: "visible" | "dismissed"; pinned?: boolean; answered?: boolean };

/**
 * The presenter's and moderators' Q&A board: the pending queue (approve, dismiss), the open questions by score
 * (pin, mark answered, dismiss) and the answered ones; any author can be banned from here. Every action is a REST
 * call; the board itself changes when the server's event comes back, so every console shows the same.
 */
export function ModerationBoard({ board }: { board: Board }) {
  const [error, setError] = useState<string | null>(null);
  const { pending, open, answered } = sections(board, "top");
  const act = (action: () => Promise<unknown>) => {
    setError(null);
    action().catch((e: unknown) => setError(describe(e)));
  };
  const change = (q: QuestionView, body: Change) =>
    act(() => api(`/api/questions/${q.id}`, { method: "PATCH", body }));
  const ban = (q: QuestionView) => {
    if (
      confirm(
        `Ban ${q.authorName ?? "the anonymous author"} from this session? Their questions stay; they are disconnected.`,
      )
    )
      act(() => api(`/api/questions/${q.id}/ban-author`, { method: "POST", body: {} }));
  };
  const tally = (q: QuestionView) => (
    <div class="vote">
      <span class="tally" data-testid="tally">
        {q.upvotes}
      </span>
      <span class="muted small">
        votes<span class="sr-only"> up, {q.downvotes} down</span>
      </span>
    </div>
  );
  const actions = (q: QuestionView, buttons: Array<[string, () => void, string?]>) => (
    <div class="row" role="group" aria-label={`Actions for: ${q.text}`}>
      {buttons.map(([label, onClick, kind]) => (
        <button key={label} type="button" class={kind ?? "quiet"} onClick={onClick}>
          {label}
        </button>
      ))}
      <button type="button" class="quiet" onClick={() => ban(q)} disabled={q.status === "dismissed"}>
        Ban author
      </button>
    </div>
  );

  return (
    <section class="card stack" aria-labelledby="board-title">
      <h2 id="board-title">Q&amp;A</h2>
      <Alert message={error} />
      <div>
        <h3>Pending ({pending.length})</h3>
        {pending.length === 0 ? (
          <p class="muted small">Nothing waiting for review.</p>
        ) : (
          <ul class="list" aria-label="Pending questions">
            {pending.map((q) => (
              <li key={q.id}>
                <QuestionCard question={q}>
                  {actions(q, [
                    ["Approve", () => change(q, { status: "visible" }), "secondary"],
                    ["Dismiss", () => change(q, { status: "dismissed" })],
                  ])}
                </QuestionCard>
              </li>
            ))}
          </ul>
        )}
      </div>
      <div>
        <h3>Open ({open.length})</h3>
        {open.length === 0 ? (
          <p class="muted small">No questions yet.</p>
        ) : (
          <ul class="list" aria-label="Open questions">
            {open.map((q) => (
              <li key={q.id}>
                <QuestionCard question={q} aside={tally(q)}>
                  {actions(q, [
                    ["Mark answered", () => change(q, { answered: true }), "secondary"],
                    [q.pinned ? "Unpin" : "Pin", () => change(q, { pinned: !q.pinned })],
                    ["Dismiss", () => change(q, { status: "dismissed" })],
                  ])}
                </QuestionCard>
              </li>
            ))}
          </ul>
        )}
      </div>
      {answered.length > 0 && (
        <div>
          <h3>Answered ({answered.length})</h3>
          <ul class="list" aria-label="Answered questions">
            {answered.map((q) => (
              <li key={q.id}>
                <QuestionCard question={q} aside={tally(q)}>
                  {actions(q, [["Reopen", () => change(q, { answered: false })]])}
                </QuestionCard>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
