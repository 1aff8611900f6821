import type { QuestionTally, QuestionView } from "../../../src/lib/domain-events";
import type { AttendeeCount, Snapshot, ViewerQuestion } from "../../../src/realtime/events";

/**
 * What a client knows of a session's Q&A, rebuilt from a snapshot and kept current by events. Every question
 * and count carries a version that only grows: an update older than what is held is dropped, so events that
 * cross (a tally computed before an edit arriving after it, a count from another instance) never roll back.
 * What concerns this viewer alone (its own questions, its votes) is kept apart: public events do not carry it.
 */
export interface Board {
  questions: ReadonlyMap<string, QuestionView>;
  mine: ReadonlySet<string>;
  myVotes: ReadonlyMap<string, -1 | 0 | 1>;
  attendees: AttendeeCount | null;
}

export const emptyBoard = (): Board => ({
  questions: new Map(),
  mine: new Set(),
  myVotes: new Map(),
  attendees: null,
});

const strip = ({ mine: _mine, myVote: _myVote, ...question }: ViewerQuestion): QuestionView => question;

/** The whole state from a snapshot: replaces everything held (a snapshot is the truth after a gap). */
export function fromSnapshot(snapshot: Snapshot): Board {
  const board = emptyBoard() as {
    questions: Map<string, QuestionView>;
    mine: Set<string>;
    myVotes: Map<string, -1 | 0 | 1>;
    attendees: AttendeeCount | null;
  };
  for (const question of snapshot.questions) {
    board.questions.set(question.id, strip(question));
    if (question.mine) board.mine.add(question.id);
    if (question.myVote !== 0) board.myVotes.set(question.id, question.myVote);
  }
  board.attendees = snapshot.attendees;
  return board;
}

/** A question as created or changed; ignored when an equal or newer version is held. */
export function upsertQuestion(board: Board, question: QuestionView | ViewerQuestion): Board {
  const held = board.questions.get(question.id);
  const viewer = "mine" in question ? question : null;
  const mine =
    viewer?.mine && !board.mine.has(question.id) ? new Set(board.mine).add(question.id) : board.mine;
  if (held && held.version >= question.version) return mine === board.mine ? board : { ...board, mine };
  const questions = new Map(board.questions).set(question.id, viewer ? strip(viewer) : question);
  return { ...board, questions, mine };
}

export function removeQuestion(board: Board, questionId: string): Board {
  if (!board.questions.has(questionId)) return board;
  const questions = new Map(board.questions);
  questions.delete(questionId);
  return { ...board, questions };
}

/** Coalesced tallies: each applied only when newer than the question held. */
export function applyTallies(board: Board, tallies: readonly QuestionTally[]): Board {
  let questions: Map<string, QuestionView> | null = null;
  for (const tally of tallies) {
    const held = (questions ?? board.questions).get(tally.questionId);
    if (!held || held.version >= tally.version) continue;
    questions ??= new Map(board.questions);
    questions.set(tally.questionId, {
      ...held,
      upvotes: tally.upvotes,
      downvotes: tally.downvotes,
      score: tally.score,
      version: tally.version,
    });
  }
  return questions ? { ...board, questions } : board;
}

export function setMyVote(board: Board, questionId: string, vote: -1 | 0 | 1): Board {
  const myVotes = new Map(board.myVotes);
  if (vote === 0) myVotes.delete(questionId);
  else myVotes.set(questionId, vote);
  return { ...board, myVotes };
}

export function setAttendees(board: Board, count: AttendeeCount): Board {
  if (board.attendees && board.attendees.version >= count.version) return board;
  return { ...board, attendees: count };
}

export type BoardSort = "top" | "new";

/**
 * The order people read a board in: pinned first, then by score (`top`, the server's Wilson bound, newer first
 * on ties) or by time (`new`).
 */
export function ordered(questions: Iterable<QuestionView>, sort: BoardSort = "top"): QuestionView[] {
  return [...questions].sort(
    (a, b) =>
      Number(b.pinned) - Number(a.pinned) ||
      (sort === "top" ? b.score - a.score : 0) ||
      b.createdAt.localeCompare(a.createdAt),
  );
}

/** The board's sections: awaiting moderation, open (unanswered) and answered. */
export function sections(board: Board, sort: BoardSort = "top") {
  const all = [...board.questions.values()];
  return {
    pending: ordered(
      all.filter((q) => q.status === "pending"),
      "new",
    ).reverse(),
    open: ordered(
      all.filter((q) => q.status === "visible" && !q.answered),
      sort,
    ),
    answered: ordered(
      all.filter((q) => q.status === "visible" && q.answered),
      "new",
    ),
  };
}
