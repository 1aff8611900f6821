import type { Database } from "../../db/client.js";
import { badCursor, UUID_PATTERN } from "../../lib/cursor.js";
import type { QuestionView } from "../../lib/domain-events.js";
import { AppError } from "../../lib/errors.js";
import type { Actor } from "../auth/actor.js";
import { assertSession, decideSession } from "../auth/policy.js";
import type { SessionAccess } from "../sessions/session-access.service.js";
import {
  listQuestions,
  type ListSort,
  type QuestionRow,
  type QuestionStatus,
} from "./questions.repository.js";

/** A question as one viewer sees it: with whether it is theirs and their vote. */
export type ViewerQuestion = QuestionView & { mine: boolean; myVote: -1 | 0 | 1 };

/**
 * Reading the questions: a page of a session's board for one viewer (`list`), and the board a real-time client
 * starts from (`board`). The writes are in questions.service.ts.
 */
export function createQuestionBoard(deps: { db: Database; sessionAccess: SessionAccess }) {
  const { db, sessionAccess } = deps;
  return {
    /**
     * A page of the session's questions for this viewer: attendees see the board (and their own pending
     * questions); staff may also list pending and dismissed ones. Each with `myVote` and `mine`.
     */
    async list(
      actor: Actor,
      sessionId: string,
      query: {
        sort: ListSort;
        status: "open" | "answered" | "pending" | "dismissed" | "all";
        cursor?: string;
        limit: number;
      },
    ): Promise<{ items: ViewerQuestion[]; nextCursor: string | null }> {
      let staff = false;
      if (actor.kind === "attendee") {
        // The policy's attendee branch reads only the session its token names (another session is not found):
        // no database lookup on the route every attendee polls, and attendees are never staff.
        assertSession(actor, "questions.read", {
          sessionId,
          workspaceId: "",
          sessionRole: null,
          workspaceRole: null,
        });
      } else {
        const relations = await sessionAccess.authorize(actor, "questions.read", sessionId);
        staff = decideSession(actor, "questions.moderate", relations).allowed;
      }
      if (!staff && (query.status === "pending" || query.status === "dismissed" || query.status === "all")) {
        throw new AppError("FORBIDDEN", 403, "Only moderators list pending or dismissed questions.");
      }
      const viewer = actor.kind === "attendee" ? actor.attendeeId : null;
      const statuses: QuestionStatus[] =
        query.status === "pending"
          ? ["pending"]
          : query.status === "dismissed"
            ? ["dismissed"]
            : query.status === "all"
              ? ["pending", "visible", "dismissed"]
              : ["visible"];
      const cursor = query.cursor ? decodeListCursor(query.cursor, query.sort) : undefined;
      const rows = await listQuestions(db, {
        sessionId,
        sort: query.sort,
        statuses,
        answered: query.status === "open" ? false : query.status === "answered" ? true : undefined,
        includeOwn:
          viewer && query.status === "open" ? { attendeeId: viewer, statuses: ["pending"] } : undefined,
        viewerAttendeeId: viewer,
        asOf: cursor?.asOf ?? new Date(),
        after: cursor?.after,
        limit: query.limit,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      const asOf = cursor?.asOf ?? new Date();
      return {
        items: page.map((row) => viewerQuestion(row, viewer)),
        nextCursor:
          rows.length > query.limit && last
            ? encodeListCursor(query.sort, asOf, {
                pinned: last.question.pinned,
                key: last.sortKey,
                id: last.question.id,
              })
            : null,
      };
    },

    /** The board a real-time client starts from (see Snapshot in src/realtime/events.ts). */
    async board(actor: Actor, sessionId: string, staff: boolean): Promise<ViewerQuestion[]> {
      const viewer = actor.kind === "attendee" ? actor.attendeeId : null;
      const rows = await listQuestions(db, {
        sessionId,
        sort: "top",
        statuses: staff ? ["pending", "visible"] : ["visible"],
        includeOwn: viewer ? { attendeeId: viewer, statuses: ["pending"] } : undefined,
        viewerAttendeeId: viewer,
        asOf: new Date(),
        limit: 500,
      });
      return rows.slice(0, 500).map((row) => viewerQuestion(row, viewer));
    },
  };
}

export function view(row: QuestionRow, authorName: string | null): QuestionView {
  return {
    id: row.id,
    sessionId: row.sessionId,
    text: row.text,
    authorName: row.anonymous ? null : authorName,
    anonymous: row.anonymous,
    status: row.status,
    pinned: row.pinned,
    answered: row.answered,
    answeredAt: row.answeredAt?.toISOString() ?? null,
    upvotes: row.upvotes,
    downvotes: row.downvotes,
    score: row.score,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    editedAt: row.editedAt?.toISOString() ?? null,
  };
}

function viewerQuestion(
  row: Awaited<ReturnType<typeof listQuestions>>[number],
  viewer: string | null,
): ViewerQuestion {
  return {
    ...view(row.question, row.authorName),
    mine: viewer !== null && row.question.authorAttendeeId === viewer,
    myVote: row.myVote as -1 | 0 | 1,
  };
}

interface ListCursor {
  asOf: Date;
  after: { pinned: boolean; key: string; id: string };
}

const NUMBER_TEXT = /^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

function encodeListCursor(sort: ListSort, asOf: Date, after: ListCursor["after"]): string {
  return Buffer.from(JSON.stringify([sort, asOf.getTime(), after.pinned, after.key, after.id])).toString(
    "base64url",
  );
}

/** A list cursor's parts; a cursor of another sort order, or not from this API, is a 400. */
function decodeListCursor(cursor: string, sort: ListSort): ListCursor {
  try {
    const [from, asOf, pinned, key, id] = JSON.parse(
      Buffer.from(cursor, "base64url").toString("utf8"),
    ) as unknown[];
    if (
      from === sort &&
      typeof asOf === "number" &&
      Number.isFinite(asOf) &&
      typeof pinned === "boolean" &&
      typeof key === "string" &&
      NUMBER_TEXT.test(key) &&
      typeof id === "string" &&
      UUID_PATTERN.test(id)
    ) {
      return { asOf: new Date(asOf), after: { pinned, key, id } };
    }
  } catch {
    // refused below
  }
  throw badCursor();
}
