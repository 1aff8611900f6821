import { describe, expect, it } from "vitest";
import type { QuestionView } from "../../../src/lib/domain-events";
import type { Snapshot, ViewerQuestion } from "../../../src/realtime/events";
import {
  applyTallies,
  emptyBoard,
  fromSnapshot,
  removeQuestion,
  sections,
  setAttendees,
  setMyVote,
  upsertQuestion,
  type Board,
} from "./board";

const SESSION = "00000000-0000-4000-8000-000000000001";

function question(id: string, fields: Partial<QuestionView> = {}): QuestionView {
  return {
    id,
    sessionId: SESSION,
    text: `Question ${id}`,
    authorName: "Ada",
    anonymous: false,
    status: "visible",
    pinned: false,
    answered: false,
    answeredAt: null,
    upvotes: 0,
    downvotes: 0,
    score: 0,
    version: 1,
    createdAt: "2026-11-26T10:00:00.000Z",
    editedAt: null,
    ...fields,
  };
}

const viewer = (q: QuestionView, mine = false, myVote: -1 | 0 | 1 = 0): ViewerQuestion => ({
  ...q,
  mine,
  myVote,
});

function snapshot(questions: ViewerQuestion[], count = 3): Snapshot {
  return {
    session: {
      id: SESSION,
      title: "A talk",
      description: null,
      status: "live",
      scheduledAt: null,
      startedAt: null,
      endedAt: null,
      settings: {},
      version: 1,
    },
    attendees: { sessionId: SESSION, count, version: 100 },
    questions,
    you: { role: "attendee", attendeeId: "a1", peerId: "p1" },
  };
}

const boardOf = (...questions: QuestionView[]): Board =>
  questions.reduce((board, q) => upsertQuestion(board, q), emptyBoard());

describe("board versions", () => {
  it("applies a newer question and drops an equal or older one", () => {
    const board = boardOf(question("q1", { text: "first", version: 2 }));
    const older = upsertQuestion(board, question("q1", { text: "older", version: 1 }));
    const same = upsertQuestion(board, question("q1", { text: "same version", version: 2 }));
    expect(older).toBe(board);
    expect(same).toBe(board);
    const newer = upsertQuestion(board, question("q1", { text: "edited", version: 3 }));
    expect(newer.questions.get("q1")).toMatchObject({ text: "edited", version: 3 });
    // The board held before is left as it was (boards are values).
    expect(board.questions.get("q1")?.text).toBe("first");
  });

  it("applies a tally only when newer than the question held, and ignores unknown questions", () => {
    const board = boardOf(question("q1", { version: 5, upvotes: 2 }), question("q2", { version: 1 }));
    const next = applyTallies(board, [
      { questionId: "q1", upvotes: 1, downvotes: 0, score: 0.1, version: 4 },
      { questionId: "q1", upvotes: 9, downvotes: 0, score: 0.1, version: 5 },
      { questionId: "q2", upvotes: 7, downvotes: 1, score: 0.6, version: 2 },
      { questionId: "unknown", upvotes: 3, downvotes: 0, score: 0.3, version: 9 },
    ]);
    expect(next.questions.get("q1")).toMatchObject({ upvotes: 2, version: 5 });
    expect(next.questions.get("q2")).toMatchObject({ upvotes: 7, downvotes: 1, score: 0.6, version: 2 });
    expect(next.questions.has("unknown")).toBe(false);
  });

  it("returns the same board when every tally is stale", () => {
    const board = boardOf(question("q1", { version: 5 }));
    expect(applyTallies(board, [{ questionId: "q1", upvotes: 4, downvotes: 0, score: 1, version: 3 }])).toBe(
      board,
    );
  });

  it("a tally crossing an edit does not roll the edit back", () => {
    let board = boardOf(question("q1", { text: "before", version: 1 }));
    board = upsertQuestion(board, question("q1", { text: "after", upvotes: 1, version: 3 }));
    board = applyTallies(board, [{ questionId: "q1", upvotes: 0, downvotes: 0, score: 0, version: 2 }]);
    expect(board.questions.get("q1")).toMatchObject({ text: "after", upvotes: 1, version: 3 });
  });

  it("keeps the newest attendee count", () => {
    let board = setAttendees(emptyBoard(), { sessionId: SESSION, count: 4, version: 20 });
    board = setAttendees(board, { sessionId: SESSION, count: 2, version: 10 });
    expect(board.attendees?.count).toBe(4);
    board = setAttendees(board, { sessionId: SESSION, count: 5, version: 30 });
    expect(board.attendees?.count).toBe(5);
  });

  it("removes a question, and leaves the board alone for one it does not hold", () => {
    const board = boardOf(question("q1"), question("q2"));
    expect([...removeQuestion(board, "q1").questions.keys()]).toEqual(["q2"]);
    expect(removeQuestion(board, "nope")).toBe(board);
  });
});

describe("board snapshots", () => {
  it("a snapshot replaces everything held, even newer versions", () => {
    let board = boardOf(question("old", { version: 9 }), question("q1", { text: "held", version: 9 }));
    board = setMyVote(board, "old", 1);
    board = setAttendees(board, { sessionId: SESSION, count: 50, version: 1_000 });
    expect(board.myVotes.size).toBe(1);
    const fresh = fromSnapshot(snapshot([viewer(question("q1", { text: "from snapshot", version: 2 }))], 3));
    expect([...fresh.questions.keys()]).toEqual(["q1"]);
    expect(fresh.questions.get("q1")?.text).toBe("from snapshot");
    expect(fresh.myVotes.size).toBe(0);
    expect(fresh.attendees).toEqual({ sessionId: SESSION, count: 3, version: 100 });
  });

  it("takes the viewer's own questions and votes from the snapshot, and strips them from the questions", () => {
    const board = fromSnapshot(
      snapshot([
        viewer(question("q1"), true, 0),
        viewer(question("q2"), false, 1),
        viewer(question("q3"), false, -1),
        viewer(question("q4"), false, 0),
      ]),
    );
    expect([...board.mine]).toEqual(["q1"]);
    expect([...board.myVotes]).toEqual([
      ["q2", 1],
      ["q3", -1],
    ]);
    for (const q of board.questions.values()) {
      expect(q).not.toHaveProperty("mine");
      expect(q).not.toHaveProperty("myVote");
    }
  });
});

describe("what is mine stays apart from public events", () => {
  it("a public update of my question keeps it mine and keeps my vote", () => {
    let board = fromSnapshot(snapshot([viewer(question("q1"), true), viewer(question("q2"), false, 1)]));
    board = upsertQuestion(board, question("q1", { text: "edited", version: 2 }));
    board = upsertQuestion(board, question("q2", { upvotes: 4, version: 2 }));
    board = applyTallies(board, [{ questionId: "q2", upvotes: 5, downvotes: 0, score: 0.5, version: 3 }]);
    expect(board.mine.has("q1")).toBe(true);
    expect(board.myVotes.get("q2")).toBe(1);
    expect(board.questions.get("q1")).not.toHaveProperty("mine");
  });

  it("my own submitted question becomes mine, even when the public event came first", () => {
    const created = question("q1", { version: 1 });
    let board = upsertQuestion(emptyBoard(), created);
    expect(board.mine.has("q1")).toBe(false);
    board = upsertQuestion(board, viewer(created, true));
    expect(board.mine.has("q1")).toBe(true);
    expect(board.questions.get("q1")).not.toHaveProperty("mine");
  });

  it("someone else's question never becomes mine", () => {
    const board = upsertQuestion(emptyBoard(), viewer(question("q1"), false));
    expect(board.mine.size).toBe(0);
  });

  it("setting my vote to 0 forgets it", () => {
    let board = setMyVote(emptyBoard(), "q1", 1);
    expect(board.myVotes.get("q1")).toBe(1);
    board = setMyVote(board, "q1", -1);
    expect(board.myVotes.get("q1")).toBe(-1);
    board = setMyVote(board, "q1", 0);
    expect(board.myVotes.has("q1")).toBe(false);
  });
});

describe("board sections", () => {
  const at = (minute: number) => `2026-11-26T10:${String(minute).padStart(2, "0")}:00.000Z`;
  const board = boardOf(
    question("low", { score: 0.1, createdAt: at(1) }),
    question("high", { score: 0.9, createdAt: at(2) }),
    question("pinned-low", { score: 0.05, pinned: true, createdAt: at(3) }),
    question("tie-old", { score: 0.5, createdAt: at(4) }),
    question("tie-new", { score: 0.5, createdAt: at(5) }),
    question("answered-old", { answered: true, score: 0.99, createdAt: at(6) }),
    question("answered-new", { answered: true, createdAt: at(7) }),
    question("pending-old", { status: "pending", createdAt: at(8) }),
    question("pending-new", { status: "pending", createdAt: at(9) }),
    question("dismissed", { status: "dismissed", score: 1, createdAt: at(10) }),
    question("withdrawn", { status: "withdrawn", createdAt: at(11) }),
  );
  const ids = (qs: QuestionView[]) => qs.map((q) => q.id);

  it("top: pinned first, then by score, newer first on ties; answered and pending apart", () => {
    const { pending, open, answered } = sections(board, "top");
    expect(ids(open)).toEqual(["pinned-low", "high", "tie-new", "tie-old", "low"]);
    expect(ids(answered)).toEqual(["answered-new", "answered-old"]);
    // The moderation queue reads oldest first.
    expect(ids(pending)).toEqual(["pending-old", "pending-new"]);
  });

  it("new: pinned first, then newest first", () => {
    expect(ids(sections(board, "new").open)).toEqual(["pinned-low", "tie-new", "tie-old", "high", "low"]);
  });

  it("dismissed and withdrawn questions are in no section", () => {
    const all = Object.values(sections(board)).flatMap(ids);
    expect(all).not.toContain("dismissed");
    expect(all).not.toContain("withdrawn");
    expect(all).toHaveLength(9);
  });
});
